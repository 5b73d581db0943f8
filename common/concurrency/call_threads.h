#pragma once

// Runs a call's blocking work (upstream HTTP, synchronous downstream gRPC calls) off
// gRPC's callback threads, which must never block. Every call gets a thread at once, never
// a queue: an idle thread if one is waiting, else a new one. A thread that finished its call
// waits `idle_timeout` for the next before it exits, so steady traffic starts no threads
// (starting one per call cost more CPU than the call itself at 1,000 requests/s), and a
// burst's threads go away after it. Each service's concurrency limit bounds the count.
// The destructor waits for every call to end.

#include <chrono>
#include <functional>
#include <memory>

namespace cascade {

class CallThreads {
 public:
  explicit CallThreads(std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  ~CallThreads();
  CallThreads(const CallThreads&) = delete;
  CallThreads& operator=(const CallThreads&) = delete;

  void Run(std::function<void()> work);

  // Threads alive (running a call or waiting for one), and those waiting; for tests.
  int threads() const;
  int idle_threads() const;

 private:
  struct State;
  // Shared with the threads: the last one may still be unlocking after we stop waiting.
  std::shared_ptr<State> state_;
};

}  // namespace cascade
