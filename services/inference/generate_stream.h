#pragma once

// The server side of one Generate stream: tokens arrive on the model's worker thread and
// are sent as they come (common/grpc_runtime/server_stream.h merges those that arrive
// during a write); the last chunk carries the held-back text, finish reason and usage. The
// reactor lives until both gRPC (OnDone) and the worker (Complete or Reject) are through
// with it.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "cascade/v1/inference.pb.h"
#include "common/grpc_runtime/server_stream.h"
#include "services/inference/engine/engine.h"
#include "services/inference/generate_request.h"
#include "services/inference/inference_metrics.h"
#include "services/inference/model_worker.h"
#include "services/inference/stop_sequences.h"

namespace cascade::inference {

class GenerateStream final : public ServerStream<cascade::v1::GenerateChunk> {
 public:
  GenerateStream(std::shared_ptr<InferenceMetrics> metrics, std::string model,
                 PreparedRequest request);

  // Ends the call without running it (the worker never holds it).
  void Reject(const absl::Status& status, const std::string& outcome);
  // The job to submit; its on_done ends the stream (call it exactly once).
  std::unique_ptr<GenerationJob> MakeJob();

 private:
  bool OnToken(const engine::GeneratedToken& token);
  void Complete(absl::StatusOr<engine::GenerateResult> result);

  const std::shared_ptr<InferenceMetrics> metrics_;
  const std::string model_;
  PreparedRequest request_;
  const engine::Tokenizer* tokenizer_;  // Null for a rejected request.
  StopSequences stop_;
  const std::chrono::steady_clock::time_point arrived_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point first_token_{};
  bool stopped_by_string_ = false;
  // The worker polls it; the stream's cancellation sets it.
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace cascade::inference
