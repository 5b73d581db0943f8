#pragma once

// Runs a call's blocking work (upstream HTTP, synchronous downstream gRPC calls) off
// gRPC's callback threads, which must never block. One thread per call: a call lasts
// milliseconds to seconds, so a thread's start is noise beside it, and each service's
// concurrency limit bounds how many there are. The destructor waits for every call to end.

#include <functional>
#include <memory>

namespace cascade {

class CallThreads {
 public:
  CallThreads();
  ~CallThreads();
  CallThreads(const CallThreads&) = delete;
  CallThreads& operator=(const CallThreads&) = delete;

  void Run(std::function<void()> work);

 private:
  struct State;
  // Shared with the threads: the last one may still be unlocking after we stop waiting.
  std::shared_ptr<State> state_;
};

}  // namespace cascade
