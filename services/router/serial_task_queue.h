#pragma once

// Runs tasks one at a time, in order, on a thread of its own. Route changes over gRPC
// rebuild the index, which takes seconds for a large route set: they run here instead of
// on gRPC's callback threads, which must never block, while Route() calls keep being
// answered from the current snapshot.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace cascade::router {

class SerialTaskQueue {
 public:
  SerialTaskQueue();
  // Runs the tasks still queued, then stops the thread.
  ~SerialTaskQueue();
  SerialTaskQueue(const SerialTaskQueue&) = delete;
  SerialTaskQueue& operator=(const SerialTaskQueue&) = delete;

  void Post(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // Last: starts after the members it uses.
};

}  // namespace cascade::router
