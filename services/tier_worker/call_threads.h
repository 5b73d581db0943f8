#pragma once

// Runs blocking calls (upstream HTTP, a downstream gRPC stream) off gRPC's callback
// threads, which must never block. One thread per call: a call lasts seconds, so the
// thread's cost is noise, and max_concurrency bounds how many there are. The destructor
// waits for every call to end.

#include <functional>
#include <memory>

namespace cascade::tier_worker {

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

}  // namespace cascade::tier_worker
