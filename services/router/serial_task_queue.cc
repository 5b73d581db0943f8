#include "services/router/serial_task_queue.h"

#include <utility>

namespace cascade::router {

SerialTaskQueue::SerialTaskQueue() : thread_([this] { Run(); }) {}

SerialTaskQueue::~SerialTaskQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void SerialTaskQueue::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  changed_.notify_all();
}

void SerialTaskQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // Stopping, and nothing left to run.
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace cascade::router
