#include "tools/loadgen/open_loop.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Answers every request on its own thread after `delay`; every `fail_every`-th request (if
// set) fails with UNAVAILABLE. Records the most requests it ever held at once.
class DelayedTarget : public LoadTarget {
 public:
  DelayedTarget(std::chrono::milliseconds delay, int fail_every)
      : delay_(delay), fail_every_(fail_every) {}
  ~DelayedTarget() override {
    for (std::thread& thread : threads_) thread.join();
  }

  void Send(const v1::CascadeRequest&, std::chrono::milliseconds,
            std::function<void(CallOutcome)> done) override {
    int now = ++in_flight_;
    int seen = most_in_flight_.load();
    while (now > seen && !most_in_flight_.compare_exchange_weak(seen, now)) {
    }
    int index = sent_++;
    bool fail = fail_every_ > 0 && index % fail_every_ == 0;
    threads_.emplace_back([this, done = std::move(done), fail] {
      std::this_thread::sleep_for(delay_);  // The server's work, not a readiness wait.
      --in_flight_;
      done(fail ? CallOutcome{false, "UNAVAILABLE"} : CallOutcome{true, "OK"});
    });
  }
  std::string Describe() const override { return "delayed"; }

  int most_in_flight() const { return most_in_flight_; }
  int sent() const { return sent_; }

 private:
  const std::chrono::milliseconds delay_;
  const int fail_every_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> most_in_flight_{0};
  std::atomic<int> sent_{0};
  std::vector<std::thread> threads_;  // Only the scheduler thread adds to it.
};

std::vector<v1::CascadeRequest> OneRequest() {
  v1::CascadeRequest request;
  request.add_messages()->set_content("hi");
  return {request};
}

TEST(OpenLoopTest, SendsRateTimesDurationAndWaitsForEveryAnswer) {
  DelayedTarget target(std::chrono::milliseconds(1), 0);
  OpenLoopOptions options;
  options.rate_per_second = 200;
  options.duration = std::chrono::milliseconds(250);
  OpenLoopResult result = RunOpenLoop(options, OneRequest(), target);
  EXPECT_EQ(result.scheduled, 50);
  EXPECT_EQ(target.sent(), 50);
  EXPECT_EQ(result.outcomes.done, 50);
  EXPECT_EQ(result.outcomes.errors, 0);
  // The schedule, not the answers, sets the pace: 50 requests at 200/s take at least 245 ms.
  EXPECT_GE(result.elapsed_seconds, 0.245);
}

TEST(OpenLoopTest, FailuresAreCountedByCodeWithTheirOwnLatencies) {
  DelayedTarget target(std::chrono::milliseconds(1), 4);
  OpenLoopOptions options;
  options.rate_per_second = 400;
  options.duration = std::chrono::milliseconds(100);
  OpenLoopResult result = RunOpenLoop(options, OneRequest(), target);
  EXPECT_EQ(result.outcomes.done, 40);
  EXPECT_EQ(result.outcomes.errors, 10);
  EXPECT_THAT(result.outcomes.codes, ElementsAre(Pair("OK", 30), Pair("UNAVAILABLE", 10)));
  EXPECT_EQ(result.outcomes.error_latencies_ms.size(), 10u);
  EXPECT_EQ(result.outcomes.ok_latencies_ms.size(), 30u);
}

TEST(OpenLoopTest, TheConcurrencyCapHoldsRequestsBackAndTheirWaitCountsAsLatency) {
  // 20 requests at 1000/s against a 200 ms server with room for 2: the cap must hold most
  // of them (unless the scheduler ran 200 ms late), and their latency (from the scheduled
  // time) grows past the server's 200 ms.
  DelayedTarget target(std::chrono::milliseconds(200), 0);
  OpenLoopOptions options;
  options.rate_per_second = 1000;
  options.duration = std::chrono::milliseconds(20);
  options.max_in_flight = 2;
  OpenLoopResult result = RunOpenLoop(options, OneRequest(), target);
  EXPECT_EQ(result.outcomes.done, 20);
  EXPECT_LE(target.most_in_flight(), 2);
  EXPECT_GE(result.held_by_cap, 15);
  std::vector<double> latencies = result.outcomes.ok_latencies_ms;
  EXPECT_GE(*std::max_element(latencies.begin(), latencies.end()), 400.0);
}

// Never answers until released: a target that lost its callbacks.
class SilentTarget : public LoadTarget {
 public:
  void Send(const v1::CascadeRequest&, std::chrono::milliseconds,
            std::function<void(CallOutcome)> done) override {
    held_.push_back(std::move(done));
  }
  std::string Describe() const override { return "silent"; }
  void AnswerAll() {
    for (auto& done : held_) done(CallOutcome{true, "OK"});
  }

 private:
  std::vector<std::function<void(CallOutcome)>> held_;
};

TEST(OpenLoopTest, ATargetThatNeverAnswersDoesNotHangTheRun) {
  SilentTarget target;
  OpenLoopOptions options;
  options.rate_per_second = 100;
  options.duration = std::chrono::milliseconds(50);
  options.request_timeout = std::chrono::milliseconds(20);
  options.answer_grace = std::chrono::milliseconds(20);
  OpenLoopResult result = RunOpenLoop(options, OneRequest(), target);
  EXPECT_EQ(result.scheduled, 5);
  EXPECT_EQ(result.unanswered, 5);
  EXPECT_EQ(result.outcomes.done, 0);
  // Answers that come after the run gave up touch nothing that is gone (ASan would say).
  target.AnswerAll();
}

TEST(OpenLoopTest, ProgressLinesArriveWhileSending) {
  DelayedTarget target(std::chrono::milliseconds(1), 0);
  OpenLoopOptions options;
  options.rate_per_second = 100;
  options.duration = std::chrono::milliseconds(300);
  options.progress_every = std::chrono::milliseconds(100);
  std::vector<std::string> lines;
  options.on_progress = [&lines](const std::string& line) { lines.push_back(line); };
  RunOpenLoop(options, OneRequest(), target);
  // At least one line while sending and the final one.
  ASSERT_GE(lines.size(), 2u);
  EXPECT_THAT(lines.back(), ::testing::HasSubstr("sent 30"));
}

}  // namespace
}  // namespace cascade::loadgen
