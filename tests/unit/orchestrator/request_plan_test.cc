// A request checked against the settings before anything is called: policy, deadline,
// the client's tier bounds, budget; each mistake names the field to fix.

#include "services/orchestrator/lib/request_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

std::vector<PolicySettings> TwoPolicies() {
  PolicySettings fast;
  fast.name = "fast";
  fast.tiers = {{"small", {}}, {"medium", {}}, {"large", {}}};
  fast.default_deadline = absl::Seconds(10);
  fast.max_deadline = absl::Seconds(60);
  fast.default_budget_pusd = 5000;
  PolicySettings careful = fast;
  careful.name = "careful";
  careful.default_budget_pusd.reset();
  return {fast, careful};
}

v1::CascadeRequest Ask() {
  v1::CascadeRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("hi");
  return request;
}

// The plan points into the policies, which outlive it.
TEST(PlanRequest, DefaultsComeFromTheDefaultPolicy) {
  const std::vector<PolicySettings> policies = TwoPolicies();
  auto plan = PlanRequest(Ask(), policies, absl::InfiniteFuture(), kNow);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->policy->name, "fast");
  EXPECT_EQ(plan->deadline, kNow + absl::Seconds(10));
  EXPECT_EQ(plan->last, 2);
  EXPECT_FALSE(plan->client_start.has_value());
  EXPECT_EQ(plan->budget_pusd, 5000);
  EXPECT_FALSE(plan->threshold_override.has_value());
}

TEST(PlanRequest, TheClientsDeadlineIsCutToTheMaximum) {
  auto plan = PlanRequest(Ask(), TwoPolicies(), kNow + absl::Hours(1), kNow);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->deadline, kNow + absl::Seconds(60));
  auto expired = PlanRequest(Ask(), TwoPolicies(), kNow, kNow);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(PlanRequest, TheClientNamesPolicyTiersBudgetAndThreshold) {
  v1::CascadeRequest request = Ask();
  request.set_policy("careful");
  request.set_start_tier("medium");
  request.set_max_tier("medium");
  request.set_budget_pusd(7);
  request.set_threshold_override(0.5);
  const std::vector<PolicySettings> policies = TwoPolicies();
  auto plan = PlanRequest(request, policies, absl::InfiniteFuture(), kNow);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->policy->name, "careful");
  EXPECT_EQ(plan->client_start, 1);
  EXPECT_EQ(plan->last, 1);
  EXPECT_EQ(plan->budget_pusd, 7);
  EXPECT_EQ(plan->threshold_override, 0.5);
}

TEST(PlanRequest, MistakesNameWhatToFix) {
  struct Case {
    std::function<void(v1::CascadeRequest&)> mutate;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_messages(); }, absl::StatusCode::kInvalidArgument,
       "at least one message"},
      {[](auto& r) { r.mutable_messages(0)->set_role("function"); },
       absl::StatusCode::kInvalidArgument, "messages[0].role 'function'"},
      {[](auto& r) { r.mutable_messages(0)->set_content("\xC0\xAF"); },
       absl::StatusCode::kInvalidArgument, "messages[0].content is not valid UTF-8"},
      {[](auto& r) { r.set_threshold_override(1.5); }, absl::StatusCode::kInvalidArgument,
       "threshold_override 1.5 must be in [0, 1]"},
      {[](auto& r) { r.set_budget_pusd(-1); }, absl::StatusCode::kInvalidArgument,
       "budget_pusd must be >= 0"},
      {[](auto& r) { r.mutable_params()->set_max_tokens(-1); }, absl::StatusCode::kInvalidArgument,
       "params.max_tokens"},
      {[](auto& r) { r.set_policy("nope"); }, absl::StatusCode::kNotFound,
       "policy 'nope' is not configured (policies: fast, careful)"},
      {[](auto& r) { r.set_max_tier("huge"); }, absl::StatusCode::kInvalidArgument,
       "max_tier 'huge' is not a tier of policy 'fast' (tiers: small, medium, large)"},
      {[](auto& r) { r.set_start_tier("huge"); }, absl::StatusCode::kInvalidArgument,
       "start_tier 'huge' is not a tier"},
      {[](auto& r) {
         r.set_start_tier("large");
         r.set_max_tier("small");
       },
       absl::StatusCode::kInvalidArgument, "start_tier 'large' is above max_tier 'small'"},
  };
  for (const Case& c : cases) {
    v1::CascadeRequest request = Ask();
    c.mutate(request);
    auto plan = PlanRequest(request, TwoPolicies(), absl::InfiniteFuture(), kNow);
    EXPECT_EQ(plan.status().code(), c.code) << c.message;
    EXPECT_THAT(plan.status().message(), HasSubstr(c.message));
  }
}

TEST(PlanRequest, NoPolicyConfiguredIsFailedPrecondition) {
  auto plan = PlanRequest(Ask(), std::vector<PolicySettings>(), absl::InfiniteFuture(), kNow);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(), HasSubstr("no cascade policy configured"));
}

}  // namespace
}  // namespace cascade::orchestrator
