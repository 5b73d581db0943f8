#include "services/inference/engine/thread_pool.h"

#include <algorithm>

namespace cascade::engine {
namespace {

// Tells the CPU we are busy-waiting (saves power, frees the sibling hyper-thread).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// About a few hundred microseconds of spinning: long enough to cover the gaps between the
// pieces of one token's work, short enough that idle workers soon go to sleep. Past the first
// stretch a spinner also yields its core, which matters when there are more runnable threads
// than cores (a busy machine): the thread we wait for may need it.
constexpr int kSpinsBeforeSleep = 20000;
constexpr int kSpinsBeforeYield = 2000;

inline void Backoff(int spin) {
  if (spin < kSpinsBeforeYield) {
    CpuRelax();
  } else {
    std::this_thread::yield();
  }
}

// Chunks per thread: enough to balance uneven progress, few enough to keep claiming cheap.
constexpr int64_t kChunksPerThread = 4;

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(std::max(1, threads)) {
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::WorkerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    uint64_t current = generation_.load();
    for (int spin = 0; current == seen && spin < kSpinsBeforeSleep; ++spin) {
      Backoff(spin);
      current = generation_.load();
    }
    if (current == seen) {
      generation_.wait(seen);
      continue;
    }
    seen = current;
    if (stopping_.load()) return;
    // Announce ourselves, then check the job is still open: either the caller sees us and
    // waits, or we see that it (or a later one) has finished and leave job_ alone: it may
    // already point at a newer job. Sequential consistency orders the two checks.
    active_.fetch_add(1);
    if (closed_.load() < seen) (*job_)(index);
    active_.fetch_sub(1);
  }
}

void ThreadPool::Run(absl::FunctionRef<void(int)> job) {
  job_ = &job;
  const uint64_t generation = generation_.fetch_add(1) + 1;
  generation_.notify_all();
  job(0);
  closed_.store(generation);
  for (int spin = 0; active_.load() != 0; ++spin) Backoff(spin);
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             absl::FunctionRef<void(int64_t, int64_t, int)> body) {
  if (n <= 0) return;
  const int64_t grains = (n + grain - 1) / grain;
  const int64_t chunk = std::max<int64_t>(1, grains / (size_ * kChunksPerThread)) * grain;
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (size_ == 1 || chunks == 1) {
    body(0, n, 0);
    return;
  }
  next_chunk_.store(0);
  Run([&](int thread) {
    for (int64_t c = next_chunk_.fetch_add(1); c < chunks; c = next_chunk_.fetch_add(1)) {
      body(c * chunk, std::min(n, (c + 1) * chunk), thread);
    }
  });
}

}  // namespace cascade::engine
