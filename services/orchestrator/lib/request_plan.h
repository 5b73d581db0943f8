#pragma once

// A request checked against the settings, before anything is called: which policy, the
// deadline, which tiers the client allows, the budget and the threshold override. Every
// mistake is the status the client gets (INVALID_ARGUMENT naming the field, NOT_FOUND for
// an unknown policy, FAILED_PRECONDITION with no policy configured, DEADLINE_EXCEEDED).

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

struct RequestPlan {
  const PolicySettings* policy = nullptr;  // Points into the policies planned against.
  // The client's deadline cut to the policy's max_deadline (default_deadline when none).
  absl::Time deadline;
  int last = 0;                        // The highest tier index the client allows (max_tier).
  std::optional<int> client_start;     // The client's start_tier, when it set one.
  std::optional<int64_t> budget_pusd;  // The client's, else the policy's default.
  // Spent on this request before the climb (a cache verification that refused its hit):
  // counted against budget_pusd like the tiers' costs.
  int64_t spent_before_climb_pusd = 0;
  std::optional<double> threshold_override;
};

// Messages present with known roles and UTF-8 content; threshold_override in [0, 1];
// budget_pusd >= 0; the generation parameters every tier would accept.
absl::Status ValidateCascadeRequest(const v1::CascadeRequest& request);

// `client_deadline`: InfiniteFuture when the client set none.
// `policies`: the default first.
absl::StatusOr<RequestPlan> PlanRequest(const v1::CascadeRequest& request,
                                        const std::vector<PolicySettings>& policies,
                                        absl::Time client_deadline, absl::Time now);

// The index of `tier` in the policy's ladder, or -1.
int TierIndex(const PolicySettings& policy, const std::string& tier);

}  // namespace cascade::orchestrator
