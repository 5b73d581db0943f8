#include "services/inference/model_worker.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/kv_cache.h"

namespace cascade::inference {

absl::StatusOr<std::unique_ptr<ModelWorker>> ModelWorker::Create(
    std::string name, std::shared_ptr<const engine::Model> model, ModelWorkerOptions options) {
  if (options.max_sequences < 1 || options.max_sequences > engine::kMaxSequences) {
    return absl::InvalidArgumentError(absl::StrCat("max_sequences must be between 1 and ",
                                                   engine::kMaxSequences, ", got ",
                                                   options.max_sequences));
  }
  if (options.max_sequences > 1 && options.device != engine::Device::kCpu) {
    return absl::InvalidArgumentError(
        "max_sequences > 1 (continuous batching) runs on the CPU only for now; use device cpu "
        "or max_sequences 1");
  }
  std::unique_ptr<ModelWorker> worker(
      new ModelWorker(std::move(name), std::move(model), std::move(options)));
  if (worker->batcher_ == nullptr && !worker->engine_->status().ok()) {
    return worker->engine_->status();
  }
  return worker;
}

ModelWorker::ModelWorker(std::string name, std::shared_ptr<const engine::Model> model,
                         ModelWorkerOptions options)
    : name_(std::move(name)), model_(std::move(model)), options_(std::move(options)) {
  if (options_.max_sequences > 1) {
    auto batcher = engine::ContinuousBatcher::Create(
        model_, {.threads = options_.threads,
                 .context_length = options_.context_length,
                 .max_sequences = options_.max_sequences,
                 .draft_step_tokens = options_.draft_step_tokens});
    batcher_ = *std::move(batcher);  // the options were checked by Create
    context_length_ = batcher_->context_length();
    thread_ = std::thread([this] { RunBatched(); });
    return;
  }
  engine_ = std::make_unique<engine::Engine>(
      model_, engine::EngineOptions{.threads = options_.threads,
                                    .context_length = options_.context_length,
                                    .device = options_.device});
  context_length_ = engine_->context_length();
  thread_ = std::thread([this] { RunOneAtATime(); });
}

int64_t ModelWorker::kv_cache_bytes() const {
  const engine::ModelConfig& c = model_->config();
  return options_.max_sequences * engine::KvCache::Bytes(c.layers, context_length_, c.kv_dim());
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
  job->queued_at = std::chrono::steady_clock::now();
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

void ModelWorker::ReportWait(const GenerationJob& job) {
  if (!options_.on_queue_wait) return;
  options_.on_queue_wait(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - job.queued_at).count());
}

void ModelWorker::RunOneAtATime() {
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
    ReportWait(*job);
    Execute(*job);
  }
}

bool ModelWorker::StillWanted(GenerationJob& job) {
  // A passed deadline also cancels the call, so check it first to report the real cause.
  if (std::chrono::system_clock::now() >= job.deadline) {
    job.on_done(absl::DeadlineExceededError(
        absl::StrCat("the deadline passed while the request waited for model ", name_)));
    return false;
  }
  if (job.cancelled->load()) {
    job.on_done(absl::CancelledError("the caller cancelled before the request ran"));
    return false;
  }
  return true;
}

namespace {

// The job's token callback, stopping at cancellation or the deadline.
bool ForwardToken(const GenerationJob& job, const engine::GeneratedToken& token) {
  if (job.cancelled->load() || std::chrono::system_clock::now() >= job.deadline) return false;
  return !job.on_token || job.on_token(token);
}

// The job's result; a generation cut short by its deadline is DEADLINE_EXCEEDED.
void Complete(GenerationJob& job, absl::StatusOr<engine::GenerateResult> result) {
  if (result.ok() && result->finish_reason == engine::FinishReason::kCancelled &&
      !job.cancelled->load() && std::chrono::system_clock::now() >= job.deadline) {
    job.on_done(absl::DeadlineExceededError("the deadline passed during generation"));
    return;
  }
  job.on_done(std::move(result));
}

}  // namespace

void ModelWorker::Execute(GenerationJob& job) {
  if (!StillWanted(job)) return;
  auto result = engine_->Generate(
      job.options, [&](const engine::GeneratedToken& token) { return ForwardToken(job, token); });
  Complete(job, std::move(result));
}

void ModelWorker::Admit(std::shared_ptr<GenerationJob> job) {
  if (!StillWanted(*job)) return;
  auto status = batcher_->Add(
      job->options,
      [job](const engine::GeneratedToken& token) { return ForwardToken(*job, token); },
      [job](absl::StatusOr<engine::GenerateResult> result) { Complete(*job, std::move(result)); });
  if (!status.ok()) job->on_done(status);
}

void ModelWorker::RunBatched() {
  int64_t reused_reported = 0;
  while (true) {
    std::vector<std::unique_ptr<GenerationJob>> admitted;
    int depth = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Idle: wait for work. Busy: take what fits and keep decoding.
      if (batcher_->active() == 0) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // Stopping, nothing running.
      }
      const int free = batcher_->max_sequences() - batcher_->active();
      while (!queue_.empty() && static_cast<int>(admitted.size()) < free) {
        admitted.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      depth = static_cast<int>(queue_.size());
    }
    if (!admitted.empty() && options_.on_queue_depth) options_.on_queue_depth(depth);
    for (auto& job : admitted) {
      ReportWait(*job);
      Admit(std::shared_ptr<GenerationJob>(std::move(job)));
    }
    if (batcher_->active() == 0) continue;
    // The cache's use as the step runs, before finished sequences leave it.
    const double cache_usage = batcher_->cache_usage();
    const auto step = batcher_->Step();
    if (options_.on_batch_step) {
      const int64_t reused = batcher_->stats().prefix_reused_tokens;
      options_.on_batch_step({.sequences = step.sequences,
                              .tokens = step.tokens,
                              .cache_usage = cache_usage,
                              .reused_tokens = reused - reused_reported});
      reused_reported = reused;
    }
  }
}

}  // namespace cascade::inference
