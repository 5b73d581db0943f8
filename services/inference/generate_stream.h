#pragma once

// The server side of one Generate stream. Tokens arrive on the model's worker thread while
// gRPC allows one write in flight at a time, so tokens that arrive during a write are
// merged into the next chunk (a slow reader gets fewer, larger chunks, never unbounded
// buffering of tiny ones). The reactor lives until both gRPC (OnDone) and the worker
// (Complete or Reject) are through with it.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "cascade/v1/inference.pb.h"
#include "services/inference/engine/engine.h"
#include "services/inference/generate_request.h"
#include "services/inference/inference_metrics.h"
#include "services/inference/model_worker.h"
#include "services/inference/stop_sequences.h"

namespace cascade::inference {

class GenerateStream final : public grpc::ServerWriteReactor<cascade::v1::GenerateChunk> {
 public:
  GenerateStream(std::shared_ptr<InferenceMetrics> metrics, std::string model,
                 PreparedRequest request);

  // Ends the call without running it (the worker never holds it).
  void Reject(const absl::Status& status, const std::string& outcome);
  // The job to submit; it holds the worker's reference to this stream.
  std::unique_ptr<GenerationJob> MakeJob();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  bool OnToken(const engine::GeneratedToken& token);
  void Complete(absl::StatusOr<engine::GenerateResult> result);
  void AppendText(const std::string& text);
  void MaybeWriteLocked();
  void FinishLocked(const grpc::Status& status);
  void Release();

  const std::shared_ptr<InferenceMetrics> metrics_;
  const std::string model_;
  PreparedRequest request_;
  const engine::Tokenizer* tokenizer_;  // Null for a rejected request.
  StopSequences stop_;
  const std::chrono::steady_clock::time_point arrived_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point first_token_{};
  bool stopped_by_string_ = false;
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);

  std::mutex mu_;
  cascade::v1::GenerateChunk pending_;  // Merged tokens not written yet.
  bool has_pending_ = false;
  cascade::v1::GenerateChunk writing_;  // The chunk in flight (gRPC needs it alive).
  bool write_in_flight_ = false;
  bool client_gone_ = false;
  bool finish_requested_ = false;
  grpc::Status final_status_;
  std::atomic<int> references_{1};  // gRPC's; MakeJob adds the worker's.
};

}  // namespace cascade::inference
