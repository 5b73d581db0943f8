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

}  // namespace

ThreadPool::ThreadPool(int threads) : size_(std::max(1, threads)) {
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::WorkerLoop(int index) {
  uint32_t seen = 0;
  while (true) {
    uint32_t current = generation_.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinsBeforeSleep; ++spin) {
      Backoff(spin);
      current = generation_.load(std::memory_order_acquire);
    }
    if (current == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = current;
    if (stopping_.load()) return;
    (*job_)(index, size_);
    pending_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::Run(absl::FunctionRef<void(int, int)> job) {
  if (size_ == 1) {
    job(0, 1);
    return;
  }
  job_ = &job;
  pending_.store(size_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  job(0, size_);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) Backoff(spin);
  job_ = nullptr;
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain,
                             absl::FunctionRef<void(int64_t, int64_t, int)> body) {
  if (n <= 0) return;
  const int64_t grains = (n + grain - 1) / grain;
  const int64_t chunk = (grains + size_ - 1) / size_ * grain;
  if (size_ == 1 || chunk >= n) {
    body(0, n, 0);
    return;
  }
  Run([&](int thread, int) {
    const int64_t begin = thread * chunk;
    const int64_t end = std::min(n, begin + chunk);
    if (begin < end) body(begin, end, thread);
  });
}

}  // namespace cascade::engine
