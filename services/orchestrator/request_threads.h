#pragma once

// Runs each cascade request's blocking work (sync gRPC calls to the router, tiers and
// judge) off gRPC's callback threads, which must never block. One thread per request; the
// destructor waits for all of them. (The same idea as the tier worker's CallThreads, which
// lives in its service library.)

#include <functional>
#include <memory>

namespace cascade::orchestrator {

class RequestThreads {
 public:
  RequestThreads();
  ~RequestThreads();
  RequestThreads(const RequestThreads&) = delete;
  RequestThreads& operator=(const RequestThreads&) = delete;

  void Run(std::function<void()> work);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cascade::orchestrator
