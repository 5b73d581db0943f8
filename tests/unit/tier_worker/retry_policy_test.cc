#include "common/http/retry_policy.h"

#include <gtest/gtest.h>

#include "common/http/testing/fake_clock.h"

namespace cascade::tier_worker {
namespace {

using http::testing::FixedRandom;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);
const http::RetryableFailure kServerError{http::RetryReason::kServerError, std::nullopt};

http::RetryOptions Options(int max_retries, absl::Duration initial = absl::Milliseconds(100),
                           absl::Duration max = absl::Seconds(2)) {
  http::RetryOptions options;
  options.max_retries = max_retries;
  options.initial_backoff = initial;
  options.max_backoff = max;
  return options;
}

TEST(RetryPolicyTest, BackoffDoublesWithJitterInTheUpperHalfAndIsCapped) {
  FixedRandom random({0.0, 0.5, 0.999, 0.0, 0.0});
  http::RetryPolicy policy(Options(5, absl::Milliseconds(100), absl::Milliseconds(300)), &random);
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
  http::RetryPolicy policy(Options(2), &random);
  absl::Time deadline = kNow + absl::Hours(1);
  EXPECT_TRUE(policy.NextBackoff(0, kServerError, kNow, deadline).has_value());
  EXPECT_TRUE(policy.NextBackoff(1, kServerError, kNow, deadline).has_value());
  EXPECT_FALSE(policy.NextBackoff(2, kServerError, kNow, deadline).has_value());
  http::RetryPolicy never(Options(0), &random);
  EXPECT_FALSE(never.NextBackoff(0, kServerError, kNow, deadline).has_value());
}

TEST(RetryPolicyTest, BoundedByTheDeadline) {
  FixedRandom random({0.0});
  http::RetryPolicy policy(Options(5), &random);
  // The wait (50 ms) must end before the deadline.
  EXPECT_TRUE(policy.NextBackoff(0, kServerError, kNow, kNow + absl::Milliseconds(51)));
  EXPECT_FALSE(policy.NextBackoff(0, kServerError, kNow, kNow + absl::Milliseconds(50)));
  EXPECT_FALSE(policy.NextBackoff(0, kServerError, kNow, kNow - absl::Seconds(1)));
}

TEST(RetryPolicyTest, RetryAfterIsHonouredAndCanOnlyLengthenTheWait) {
  FixedRandom random({0.0});
  http::RetryPolicy policy(Options(3), &random);
  absl::Time deadline = kNow + absl::Seconds(10);
  http::RetryableFailure later{http::RetryReason::kRateLimited, absl::Seconds(2)};
  EXPECT_EQ(*policy.NextBackoff(0, later, kNow, deadline), absl::Seconds(2));
  http::RetryableFailure sooner{http::RetryReason::kRateLimited, absl::Milliseconds(1)};
  EXPECT_EQ(*policy.NextBackoff(0, sooner, kNow, deadline), absl::Milliseconds(50));
  // Asked to come back after the deadline: give up now rather than wait for nothing.
  http::RetryableFailure too_late{http::RetryReason::kRateLimited, absl::Seconds(30)};
  EXPECT_FALSE(policy.NextBackoff(0, too_late, kNow, deadline).has_value());
}

TEST(RetryPolicyTest, ReasonLabels) {
  EXPECT_EQ(http::RetryReasonLabel(http::RetryReason::kConnectError), "connect_error");
  EXPECT_EQ(http::RetryReasonLabel(http::RetryReason::kRateLimited), "rate_limited");
  EXPECT_EQ(http::RetryReasonLabel(http::RetryReason::kServerError), "server_error");
}

}  // namespace
}  // namespace cascade::tier_worker
