#pragma once

// Polls a condition until it holds or a timeout passes: how tests wait for state that
// has no event to wait on (health, /readyz, a metric), instead of fixed sleeps.

#include <chrono>
#include <functional>
#include <thread>

namespace cascade::testing {

inline bool PollUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto interval = std::chrono::milliseconds(2);
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
    interval = std::min(interval * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace cascade::testing
