#include "services/orchestrator/front_door/http_front_door_pool.h"

#include <utility>

namespace cascade::orchestrator {
namespace {

thread_local bool t_reject_lane = false;

}  // namespace

ConnectionPool::ConnectionPool(size_t workers, size_t reject_workers) : workers_(workers) {
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(false); });
  for (size_t i = 0; i < reject_workers; ++i) threads_.emplace_back([this] { Work(true); });
}

ConnectionPool::~ConnectionPool() { shutdown(); }

bool ConnectionPool::RejectingThisThread() { return t_reject_lane; }

void ConnectionPool::enqueue(std::function<void()> connection) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_ < workers_) {
      ++active_;
      queue_.push_back(std::move(connection));
    } else {
      reject_queue_.push_back(std::move(connection));
    }
  }
  ready_.notify_all();
}

void ConnectionPool::Work(bool reject_lane) {
  t_reject_lane = reject_lane;
  std::deque<std::function<void()>>& queue = reject_lane ? reject_queue_ : queue_;
  for (;;) {
    std::function<void()> connection;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue.empty(); });
      if (queue.empty()) return;  // Stopping, and nothing left to serve.
      connection = std::move(queue.front());
      queue.pop_front();
    }
    connection();
    if (!reject_lane) {
      std::lock_guard<std::mutex> lock(mu_);
      --active_;
    }
  }
}

void ConnectionPool::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace cascade::orchestrator
