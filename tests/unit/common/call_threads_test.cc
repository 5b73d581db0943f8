#include "common/concurrency/call_threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace cascade {
namespace {

using std::chrono::milliseconds;

// Spins (yielding) until `done` or 10 s; the states waited for are internal to CallThreads.
template <typename Predicate>
bool Eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(CallThreadsTest, EveryCallRunsAtOnceNeverQueued) {
  CallThreads threads;
  constexpr int kCalls = 16;
  absl::Mutex mu;
  int started = 0;
  absl::Notification release;
  for (int i = 0; i < kCalls; ++i) {
    threads.Run([&] {
      {
        absl::MutexLock lock(&mu);
        ++started;
      }
      release.WaitForNotification();
    });
  }
  {
    // Every call blocks until all have started: a queue would leave this waiting.
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* n) { return *n == kCalls; }, &started),
                                    absl::Seconds(10)));
  }
  EXPECT_EQ(threads.threads(), kCalls);
  release.Notify();
}

TEST(CallThreadsTest, AnIdleThreadTakesTheNextCall) {
  CallThreads threads;
  std::optional<std::thread::id> first, second;
  absl::Notification first_done, second_done;
  threads.Run([&] {
    first = std::this_thread::get_id();
    first_done.Notify();
  });
  first_done.WaitForNotification();
  ASSERT_TRUE(Eventually([&] { return threads.idle_threads() == 1; }));
  threads.Run([&] {
    second = std::this_thread::get_id();
    second_done.Notify();
  });
  second_done.WaitForNotification();
  EXPECT_EQ(first, second);
  EXPECT_EQ(threads.threads(), 1);
}

TEST(CallThreadsTest, IdleThreadsExitAfterTheTimeout) {
  CallThreads threads(milliseconds(20));
  absl::Notification done;
  threads.Run([&] { done.Notify(); });
  done.WaitForNotification();
  EXPECT_TRUE(Eventually([&] { return threads.threads() == 0; }));
}

TEST(CallThreadsTest, ACallsCapturesAreReleasedWhenItEnds) {
  CallThreads threads;
  auto captured = std::make_shared<int>(7);
  std::weak_ptr<int> watch = captured;
  threads.Run([captured = std::move(captured)] {});
  // The thread now idles for 10 s; what the call held must not wait with it.
  EXPECT_TRUE(Eventually([&] { return watch.expired(); }));
}

TEST(CallThreadsTest, DestructionWaitsForRunningCallsAndStopsIdleOnes) {
  std::atomic<bool> finished{false};
  absl::Notification started;
  {
    CallThreads threads(std::chrono::hours(1));
    threads.Run([] {});  // Leaves an idle thread, which must not hold up destruction.
    threads.Run([&] {
      started.Notify();
      std::this_thread::sleep_for(milliseconds(50));  // A call in progress, not a wait.
      finished = true;
    });
    started.WaitForNotification();
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace cascade
