#include "services/tier_worker/retry_policy.h"

#include <gtest/gtest.h>

#include "services/tier_worker/testing/fake_clock.h"

namespace cascade::tier_worker {
namespace {

using testing::FixedRandom;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
const RetryableFailure kServerError{RetryReason::kServerError, std::nullopt};

RetryOptions Options(int max_retries, absl::Duration initial = absl::Milliseconds(100),
                     absl::Duration max = absl::Seconds(2)) {
  RetryOptions options;
  options.max_retries = max_retries;
  options.initial_backoff = initial;
  options.max_backoff = max;
  return options;
}

TEST(RetryPolicyTest, BackoffDoublesWithJitterInTheUpperHalfAndIsCapped) {
  FixedRandom random({0.0, 0.5, 0.999, 0.0, 0.0});
  RetryPolicy policy(Options(5, absl::Milliseconds(100), absl::Milliseconds(300)), &random);
  absl::Time deadline = kNow + absl::Hours(1);
  EXPECT_EQ(*policy.NextBackoff(0, kServerError, kNow, deadline), absl::Milliseconds(50));
  EXPECT_EQ(*policy.NextBackoff(1, kServerError, kNow, deadline), absl::Milliseconds(150));
  auto third = *policy.NextBackoff(2, kServerError, kNow, deadline);  // Capped at 300 ms.
  EXPECT_GE(third, absl::Milliseconds(299));
  EXPECT_LT(third, absl::Milliseconds(300));
  EXPECT_EQ(*policy.NextBackoff(3, kServerError, kNow, deadline), absl::Milliseconds(150));
  EXPECT_EQ(*policy.NextBackoff(4, kServerError, kNow, deadline), absl::Milliseconds(150));
}

TEST(RetryPolicyTest, BoundedInCount) {
  FixedRandom random({0.5});
  RetryPolicy policy(Options(2), &random);
  absl::Time deadline = kNow + absl::Hours(1);
  EXPECT_TRUE(policy.NextBackoff(0, kServerError, kNow, deadline).has_value());
  EXPECT_TRUE(policy.NextBackoff(1, kServerError, kNow, deadline).has_value());
  EXPECT_FALSE(policy.NextBackoff(2, kServerError, kNow, deadline).has_value());
  RetryPolicy never(Options(0), &random);
  EXPECT_FALSE(never.NextBackoff(0, kServerError, kNow, deadline).has_value());
}

TEST(RetryPolicyTest, BoundedByTheDeadline) {
  FixedRandom random({0.0});
  RetryPolicy policy(Options(5), &random);
  // The wait (50 ms) must end before the deadline.
  EXPECT_TRUE(policy.NextBackoff(0, kServerError, kNow, kNow + absl::Milliseconds(51)));
  EXPECT_FALSE(policy.NextBackoff(0, kServerError, kNow, kNow + absl::Milliseconds(50)));
  EXPECT_FALSE(policy.NextBackoff(0, kServerError, kNow, kNow - absl::Seconds(1)));
}

TEST(RetryPolicyTest, RetryAfterIsHonouredAndCanOnlyLengthenTheWait) {
  FixedRandom random({0.0});
  RetryPolicy policy(Options(3), &random);
  absl::Time deadline = kNow + absl::Seconds(10);
  RetryableFailure later{RetryReason::kRateLimited, absl::Seconds(2)};
  EXPECT_EQ(*policy.NextBackoff(0, later, kNow, deadline), absl::Seconds(2));
  RetryableFailure sooner{RetryReason::kRateLimited, absl::Milliseconds(1)};
  EXPECT_EQ(*policy.NextBackoff(0, sooner, kNow, deadline), absl::Milliseconds(50));
  // Asked to come back after the deadline: give up now rather than wait for nothing.
  RetryableFailure too_late{RetryReason::kRateLimited, absl::Seconds(30)};
  EXPECT_FALSE(policy.NextBackoff(0, too_late, kNow, deadline).has_value());
}

TEST(RetryPolicyTest, ReasonLabels) {
  EXPECT_EQ(RetryReasonLabel(RetryReason::kConnectError), "connect_error");
  EXPECT_EQ(RetryReasonLabel(RetryReason::kRateLimited), "rate_limited");
  EXPECT_EQ(RetryReasonLabel(RetryReason::kServerError), "server_error");
}

}  // namespace
}  // namespace cascade::tier_worker
