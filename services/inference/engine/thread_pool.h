// A persistent pool of worker threads for the forward pass.
//
// A token's forward pass hands out work about twenty times (each matrix product, attention),
// and each piece takes only microseconds on a small model, so waking threads through a mutex
// and condition variable would cost more than the work. Workers instead spin on an atomic
// generation counter for a short while after each job and only then sleep on it (a futex).
// The calling thread always does a share of the work itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace cascade::engine {

class ThreadPool {
 public:
  // `threads` counts the caller: ThreadPool(1) starts no threads and runs everything inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls job(thread_index, size()) once on every thread and returns when all have finished.
  void Run(absl::FunctionRef<void(int thread, int threads)> job);

  // Splits [0, n) into one contiguous range per thread, each a multiple of `grain` long (except
  // the last), and calls body(begin, end, thread_index) for the non-empty ones. The split depends
  // only on n, grain and size(), so the same work is always grouped the same way.
  void ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t, int64_t, int)> body);

 private:
  void WorkerLoop(int index);

  const int size_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> generation_{0};  // bumped to publish a job
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stopping_{false};
  const absl::FunctionRef<void(int, int)>* job_ = nullptr;
};

}  // namespace cascade::engine
