#pragma once

// cpp-httplib's task queue for the front door. httplib hands each accepted connection to
// one task that holds its thread for the connection's whole life (keep-alive included),
// and its default pool queues connections beyond its threads forever. This pool runs at
// most `workers` connections; a connection beyond them goes to a small reject lane whose
// threads answer its requests 429 at once (the front door asks RejectingThisThread()).

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cascade::orchestrator {

class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t workers, size_t reject_workers);
  ~ConnectionPool() override;

  void enqueue(std::function<void()> connection) override;
  // Serves what is queued, then joins every thread.
  void shutdown() override;

  // True on a reject-lane thread: the connection it serves is over the cap.
  static bool RejectingThisThread();

 private:
  void Work(bool reject_lane);

  const size_t workers_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::deque<std::function<void()>> reject_queue_;
  // Connections queued or running in the main lane.
  size_t active_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cascade::orchestrator
