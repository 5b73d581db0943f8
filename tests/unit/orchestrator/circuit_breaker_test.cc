#include "services/orchestrator/lib/circuit_breaker.h"

#include <gtest/gtest.h>

#include <vector>

namespace cascade::orchestrator {
namespace {

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreaker Make() {
    return CircuitBreaker(
        {.failures = 3, .open_for = absl::Seconds(10)}, [this] { return now_; },
        [this](bool open) { changes_.push_back(open); });
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::vector<bool> changes_;
};

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresOnly) {
  CircuitBreaker breaker = Make();
  breaker.RecordFailure();
  breaker.RecordFailure();
  breaker.RecordSuccess();  // Resets the count.
  breaker.RecordFailure();
  breaker.RecordFailure();
  EXPECT_TRUE(breaker.Allow());
  EXPECT_FALSE(breaker.IsOpen());
  breaker.RecordFailure();
  EXPECT_TRUE(breaker.IsOpen());
  EXPECT_FALSE(breaker.Allow());
  EXPECT_EQ(changes_, std::vector<bool>({true}));
}

TEST_F(CircuitBreakerTest, ProbesOnceAfterOpenForAndClosesOnSuccess) {
  CircuitBreaker breaker = Make();
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  now_ += absl::Seconds(9);
  EXPECT_FALSE(breaker.Allow());
  now_ += absl::Seconds(1);
  EXPECT_TRUE(breaker.Allow());   // The probe.
  EXPECT_FALSE(breaker.Allow());  // Only one at a time.
  breaker.RecordSuccess();
  EXPECT_FALSE(breaker.IsOpen());
  EXPECT_TRUE(breaker.Allow());
  EXPECT_EQ(changes_, std::vector<bool>({true, false}));
}

TEST_F(CircuitBreakerTest, FailedProbeOpensForAnotherPeriod) {
  CircuitBreaker breaker = Make();
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  now_ += absl::Seconds(10);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordFailure();
  EXPECT_TRUE(breaker.IsOpen());
  now_ += absl::Seconds(5);
  EXPECT_FALSE(breaker.Allow());
  now_ += absl::Seconds(5);
  EXPECT_TRUE(breaker.Allow());
}

TEST_F(CircuitBreakerTest, AnAbandonedProbeGivesItsSlotBack) {
  CircuitBreaker breaker = Make();
  for (int i = 0; i < 3; ++i) breaker.RecordFailure();
  now_ += absl::Seconds(10);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordAbandoned();  // The client cancelled mid-probe.
  EXPECT_TRUE(breaker.Allow());
}

}  // namespace
}  // namespace cascade::orchestrator
