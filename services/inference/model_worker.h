#pragma once

// One loaded model and the thread that runs its requests, one at a time, in arrival order
// (an Engine is single-threaded; its kernels use the engine's own thread pool). The queue
// is bounded: a request beyond max_queue is refused with RESOURCE_EXHAUSTED. A request
// whose deadline passes while it waits is dropped with DEADLINE_EXCEEDED, never run; one
// whose caller cancels stops at the next token.

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
};

struct ModelWorkerOptions {
  int threads = 1;
  int max_queue = 64;
  int context_length = 0;  // 0: the model's.
  engine::Device device = engine::Device::kCpu;
  // Told the number of waiting requests whenever it changes (for the queue-depth gauge).
  std::function<void(int)> on_queue_depth;
};

class ModelWorker {
 public:
  ModelWorker(std::string name, std::shared_ptr<const engine::Model> model,
              ModelWorkerOptions options);
  // Refuses what is still queued (UNAVAILABLE) and waits for the running request.
  ~ModelWorker();

  const std::string& name() const { return name_; }
  const engine::Model& model() const { return *model_; }
  std::shared_ptr<const engine::Model> shared_model() const { return model_; }
  int context_length() const { return context_length_; }

  // Queues the job; RESOURCE_EXHAUSTED (and on_done is never called) when the queue is full.
  absl::Status Submit(std::unique_ptr<GenerationJob> job);

 private:
  void Run();
  void Execute(GenerationJob& job);

  const std::string name_;
  const std::shared_ptr<const engine::Model> model_;
  const ModelWorkerOptions options_;
  int context_length_ = 0;
  engine::Engine engine_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<GenerationJob>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cascade::inference
