// How the cascade reads failures: which tier errors count against a circuit, and which
// status a client gets when no tier answered.

#include "services/orchestrator/lib/climb_failures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;

TEST(ClassifyTierFailure, ARefusalIsNotTheTiersFault) {
  EXPECT_TRUE(ClassifyTierFailure(absl::InvalidArgumentError("max_tokens")).refused);
  EXPECT_TRUE(ClassifyTierFailure(absl::OutOfRangeError("too long")).refused);
  EXPECT_TRUE(ClassifyTierFailure(absl::NotFoundError("no recorded answer")).refused);
  EXPECT_FALSE(ClassifyTierFailure(absl::UnavailableError("down")).refused);
  EXPECT_FALSE(ClassifyTierFailure(absl::InternalError("bug")).refused);
}

TEST(ClassifyTierFailure, ATimeoutEscalatesAsTimeoutAnythingElseAsError) {
  EXPECT_EQ(ClassifyTierFailure(absl::DeadlineExceededError("slow")).escalation_reason, "timeout");
  EXPECT_EQ(ClassifyTierFailure(absl::UnavailableError("down")).escalation_reason, "error");
  EXPECT_EQ(ClassifyTierFailure(absl::InvalidArgumentError("bad")).escalation_reason, "error");
}

TEST(ClimbFailures, TheBudgetStopIsResourceExhaustedNamingTheBudget) {
  ClimbFailures failures;
  failures.Add("large", "expected cost 900 pusd exceeds the budget left (100)");
  absl::Status status = failures.NoAnswer(kStoppedBudget, 100, /*out_of_time=*/true);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("budget_pusd 100 cannot pay"));
  EXPECT_THAT(status.message(), HasSubstr("large: expected cost 900"));
}

TEST(ClimbFailures, RunningOutOfTimeIsDeadlineExceeded) {
  ClimbFailures failures;
  failures.Add("small", "UNAVAILABLE: down");
  EXPECT_EQ(failures.NoAnswer("", std::nullopt, /*out_of_time=*/true).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(ClimbFailures, OnlyWhenEveryTierRefusedIsItInvalidArgument) {
  ClimbFailures refused;
  refused.AddRefusal("small", absl::InvalidArgumentError("max_tokens"));
  refused.AddRefusal("large", absl::OutOfRangeError("prompt"));
  absl::Status all = refused.NoAnswer("", std::nullopt, false);
  EXPECT_EQ(all.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(all.message(), HasSubstr("small: INVALID_ARGUMENT: max_tokens; large: OUT_OF_RANGE"));

  ClimbFailures mixed;
  mixed.AddRefusal("small", absl::InvalidArgumentError("max_tokens"));
  mixed.Add("large", "circuit open");
  EXPECT_EQ(mixed.NoAnswer("", std::nullopt, false).code(), absl::StatusCode::kUnavailable);
}

TEST(ClimbFailures, NoTierWithARecordOfTheRequestIsNotFound) {
  ClimbFailures unknown;
  unknown.AddRefusal("small", absl::NotFoundError("no recorded answer of 'small'"));
  unknown.AddRefusal("large", absl::NotFoundError("no recorded answer of 'large'"));
  absl::Status status = unknown.NoAnswer("", std::nullopt, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("no recorded answer of 'large'"));

  ClimbFailures mixed;
  mixed.AddRefusal("small", absl::NotFoundError("no recorded answer"));
  mixed.AddRefusal("large", absl::InvalidArgumentError("max_tokens"));
  EXPECT_EQ(mixed.NoAnswer("", std::nullopt, false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClimbFailures, TierFailuresAreUnavailableNamingEachTier) {
  ClimbFailures failures;
  failures.Add("small", "UNAVAILABLE: connection refused");
  failures.Add("large", "INTERNAL: upstream 500");
  absl::Status status = failures.NoAnswer("", std::nullopt, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("every tier tried failed: small: UNAVAILABLE: "
                                          "connection refused; large: INTERNAL: upstream 500"));
}

}  // namespace
}  // namespace cascade::orchestrator
