#pragma once

// One loaded model and the thread that runs its requests in arrival order. With
// max_sequences 1 it runs them one at a time on an Engine (with speculation when asked); with
// more, it decodes up to max_sequences of them together on a ContinuousBatcher (n-gram
// speculation only, where a step has room), admitting a waiting request whenever a sequence
// finishes. The queue is bounded: a request beyond
// max_queue is refused with RESOURCE_EXHAUSTED. A request whose deadline passes while it
// waits is dropped with DEADLINE_EXCEEDED, never run; one whose caller cancels stops at the
// next token, without disturbing the others of its batch.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/inference/engine/continuous_batcher.h"
#include "services/inference/engine/engine.h"

namespace cascade::inference {

struct GenerationJob {
  engine::GenerateOptions options;
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  // Set by the caller's side; checked before the job runs and at every token.
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  // Streams each token; returning false stops generation.
  std::function<bool(const engine::GeneratedToken&)> on_token;
  // Called exactly once, on the worker thread, with the result or why there is none.
  std::function<void(absl::StatusOr<engine::GenerateResult>)> on_done;
  // When Submit queued it (set by Submit).
  std::chrono::steady_clock::time_point queued_at;
};

// What one forward pass of a batch served, for the metrics.
struct BatchStep {
  int sequences = 0;          // sequences that ran a token in it
  int tokens = 0;             // tokens it ran (prompt chunks and drafts included)
  double cache_usage = 0;     // share of the KV cache's positions held by running sequences
  int64_t reused_tokens = 0;  // prompt tokens taken from a slot's cache since the last step
};

struct ModelWorkerOptions {
  int threads = 1;
  int max_queue = 64;
  int context_length = 0;  // 0: the model's.
  engine::Device device = engine::Device::kCpu;
  // Requests decoded together (1: one at a time, on an Engine).
  int max_sequences = 1;
  // With max_sequences > 1: the most tokens a step may hold with n-gram drafts in it.
  int draft_step_tokens = engine::BatcherOptions().draft_step_tokens;
  // Told the number of waiting requests whenever it changes (for the queue-depth gauge).
  std::function<void(int)> on_queue_depth;
  // Told how long each request waited before it started to run.
  std::function<void(double)> on_queue_wait;
  // Told what each batched forward pass served (max_sequences > 1 only).
  std::function<void(const BatchStep&)> on_batch_step;
};

class ModelWorker {
 public:
  // Fails when the options cannot run the model (a device it cannot use, max_sequences out of
  // range or with a device other than the CPU).
  static absl::StatusOr<std::unique_ptr<ModelWorker>> Create(
      std::string name, std::shared_ptr<const engine::Model> model, ModelWorkerOptions options);
  // Refuses what is still queued (UNAVAILABLE) and waits for the running requests.
  ~ModelWorker();

  const std::string& name() const { return name_; }
  const engine::Model& model() const { return *model_; }
  std::shared_ptr<const engine::Model> shared_model() const { return model_; }
  int context_length() const { return context_length_; }
  // Memory the KV cache takes: one slot per sequence decoded at once.
  int64_t kv_cache_bytes() const;

  // Queues the job; RESOURCE_EXHAUSTED (and on_done is never called) when the queue is full.
  absl::Status Submit(std::unique_ptr<GenerationJob> job);

 private:
  ModelWorker(std::string name, std::shared_ptr<const engine::Model> model,
              ModelWorkerOptions options);
  void RunOneAtATime();
  void RunBatched();
  // Whether the job may still run: a passed deadline or a cancelled call gets on_done now.
  bool StillWanted(GenerationJob& job);
  void Execute(GenerationJob& job);
  void Admit(std::shared_ptr<GenerationJob> job);
  // The waiting time of a job that leaves the queue now.
  void ReportWait(const GenerationJob& job);

  const std::string name_;
  const std::shared_ptr<const engine::Model> model_;
  const ModelWorkerOptions options_;
  int context_length_ = 0;
  std::unique_ptr<engine::Engine> engine_;              // max_sequences 1
  std::unique_ptr<engine::ContinuousBatcher> batcher_;  // max_sequences > 1

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<GenerationJob>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cascade::inference
