#include "services/inference/model_worker.h"

#include "absl/strings/str_cat.h"

namespace cascade::inference {

ModelWorker::ModelWorker(std::string name, std::shared_ptr<const engine::Model> model,
                         ModelWorkerOptions options)
    : name_(std::move(name)),
      model_(std::move(model)),
      options_(std::move(options)),
      engine_(model_, {.threads = options_.threads,
                       .context_length = options_.context_length,
                       .device = options_.device}) {
  context_length_ = engine_.context_length();
  thread_ = std::thread([this] { Run(); });
}

ModelWorker::~ModelWorker() {
  std::deque<std::unique_ptr<GenerationJob>> refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    refused.swap(queue_);
  }
  wake_.notify_all();
  for (auto& job : refused) {
    job->on_done(absl::UnavailableError(absl::StrCat("model ", name_, " is shutting down")));
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status ModelWorker::Submit(std::unique_ptr<GenerationJob> job) {
  int depth = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_)
      return absl::UnavailableError(absl::StrCat("model ", name_, " is shutting down"));
    if (static_cast<int>(queue_.size()) >= options_.max_queue) {
      return absl::ResourceExhaustedError(
          absl::StrCat("model ", name_, " has ", queue_.size(),
                       " requests waiting, its limit (max_queue); retry later"));
    }
    queue_.push_back(std::move(job));
    depth = static_cast<int>(queue_.size());
  }
  if (options_.on_queue_depth) options_.on_queue_depth(depth);
  wake_.notify_one();
  return absl::OkStatus();
}

void ModelWorker::Run() {
  while (true) {
    std::unique_ptr<GenerationJob> job;
    int depth = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping.
      job = std::move(queue_.front());
      queue_.pop_front();
      depth = static_cast<int>(queue_.size());
    }
    if (options_.on_queue_depth) options_.on_queue_depth(depth);
    Execute(*job);
  }
}

void ModelWorker::Execute(GenerationJob& job) {
  // A passed deadline also cancels the call, so check it first to report the real cause.
  if (std::chrono::system_clock::now() >= job.deadline) {
    job.on_done(absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while the request waited for model ", name_)));
    return;
  }
  if (job.cancelled->load()) {
    job.on_done(absl::CancelledError("the caller cancelled before the request ran"));
    return;
  }
  auto cancelled = job.cancelled;
  auto deadline = job.deadline;
  auto result = engine_.Generate(job.options, [&](const engine::GeneratedToken& token) {
    if (cancelled->load() || std::chrono::system_clock::now() >= deadline) return false;
    return !job.on_token || job.on_token(token);
  });
  if (result.ok() && result->finish_reason == engine::FinishReason::kCancelled &&
      !cancelled->load() && std::chrono::system_clock::now() >= deadline) {
    job.on_done(absl::DeadlineExceededError("the deadline passed during generation"));
    return;
  }
  job.on_done(std::move(result));
}

}  // namespace cascade::inference
