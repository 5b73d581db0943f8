#include "services/orchestrator/lib/request_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/validation/chat_messages.h"
#include "common/validation/generation_params.h"

namespace cascade::orchestrator {
namespace {

std::string TierNames(const PolicySettings& policy) {
  std::vector<std::string> names;
  for (const auto& tier : policy.tiers) names.push_back(tier.tier);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<const PolicySettings*> FindPolicy(const std::vector<PolicySettings>& policies,
                                                 const std::string& name) {
  if (policies.empty()) {
    return absl::FailedPreconditionError(
        "the orchestrator has no cascade policy configured (config: tiers, policies)");
  }
  if (name.empty()) return &policies.front();
  std::vector<std::string> names;
  for (const auto& policy : policies) {
    if (policy.name == name) return &policy;
    names.push_back(policy.name);
  }
  return absl::NotFoundError(absl::StrCat(
      "policy '", name, "' is not configured (policies: ", absl::StrJoin(names, ", "), ")"));
}

// A tier the client names (`field`: start_tier or max_tier) as its index in the policy.
absl::StatusOr<int> ClientTier(const PolicySettings& policy, const std::string& field,
                               const std::string& tier) {
  int index = TierIndex(policy, tier);
  if (index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, " '", tier, "' is not a tier of policy '",
                                                   policy.name, "' (tiers: ", TierNames(policy),
                                                   ")"));
  }
  return index;
}

}  // namespace

absl::Status ValidateCascadeRequest(const v1::CascadeRequest& request) {
  if (absl::Status messages = ValidateChatMessages(request.messages()); !messages.ok()) {
    return messages;
  }
  if (request.has_threshold_override() &&
      !(request.threshold_override() >= 0 && request.threshold_override() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold_override ", request.threshold_override(), " must be in [0, 1]"));
  }
  if (request.has_budget_pusd() && request.budget_pusd() < 0) {
    return absl::InvalidArgumentError("budget_pusd must be >= 0");
  }
  // The tiers' own checks, before anything is spent: a request every tier would refuse
  // must not look like a broken cascade (UNAVAILABLE) or trip their circuit breakers.
  return ValidateGenerationParams(request.params());
}

absl::StatusOr<RequestPlan> PlanRequest(const v1::CascadeRequest& request,
                                        const std::vector<PolicySettings>& policies,
                                        absl::Time client_deadline, absl::Time now) {
  if (absl::Status valid = ValidateCascadeRequest(request); !valid.ok()) return valid;
  auto policy = FindPolicy(policies, request.policy());
  if (!policy.ok()) return policy.status();
  RequestPlan plan;
  plan.policy = *policy;
  plan.deadline = client_deadline == absl::InfiniteFuture()
                      ? now + plan.policy->default_deadline
                      : std::min(client_deadline, now + plan.policy->max_deadline);
  if (plan.deadline <= now) {
    return absl::DeadlineExceededError("the request's deadline has already passed");
  }
  plan.last = static_cast<int>(plan.policy->tiers.size()) - 1;
  if (!request.max_tier().empty()) {
    auto last = ClientTier(*plan.policy, "max_tier", request.max_tier());
    if (!last.ok()) return last.status();
    plan.last = *last;
  }
  if (!request.start_tier().empty()) {
    auto first = ClientTier(*plan.policy, "start_tier", request.start_tier());
    if (!first.ok()) return first.status();
    if (*first > plan.last) {
      return absl::InvalidArgumentError(absl::StrCat(
          "start_tier '", request.start_tier(), "' is above max_tier '", request.max_tier(), "'"));
    }
    plan.client_start = *first;
  }
  plan.budget_pusd = request.has_budget_pusd() ? std::optional<int64_t>(request.budget_pusd())
                                               : plan.policy->default_budget_pusd;
  if (request.has_threshold_override()) plan.threshold_override = request.threshold_override();
  return plan;
}

int TierIndex(const PolicySettings& policy, const std::string& tier) {
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    if (policy.tiers[i].tier == tier) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace cascade::orchestrator
