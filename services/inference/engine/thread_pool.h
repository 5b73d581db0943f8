// A persistent pool of worker threads for the forward pass.
//
// A token's forward pass hands out work about twenty times (each matrix product, attention),
// and each piece takes only microseconds on a small model, so waking threads through a mutex
// and condition variable would cost more than the work. Workers instead spin on an atomic
// generation counter for a short while after each job and only then sleep on it (a futex).
//
// Work is split into more chunks than threads and claimed from an atomic counter, and the
// calling thread works too. So when the machine is busy and a worker is not scheduled, the
// caller simply does its share instead of waiting for it; a worker that arrives after the job
// is done skips it.
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

  // Calls body(begin, end, thread_index) over chunks that cover [0, n) exactly once, each a
  // multiple of `grain` long (except the last), on whichever threads are free; returns when
  // all are done. thread_index < size() identifies the executing thread (for scratch space).
  // Results must not depend on which thread runs which chunk.
  void ParallelFor(int64_t n, int64_t grain, absl::FunctionRef<void(int64_t, int64_t, int)> body);

 private:
  void WorkerLoop(int index);
  // Runs `job` on the caller and on every worker that starts before the caller is done.
  void Run(absl::FunctionRef<void(int thread)> job);

  const int size_;
  std::vector<std::thread> workers_;
  // Jobs are numbered; 64 bits never wrap in practice, so "closed_ >= n" means job n is over.
  std::atomic<uint64_t> generation_{0};  // the latest job published
  std::atomic<uint64_t> closed_{0};      // the latest job finished
  std::atomic<int> active_{0};           // workers inside a job
  std::atomic<int64_t> next_chunk_{0};
  std::atomic<bool> stopping_{false};
  const absl::FunctionRef<void(int)>* job_ = nullptr;
};

}  // namespace cascade::engine
