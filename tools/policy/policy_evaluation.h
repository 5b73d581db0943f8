#pragma once

// What a cascade policy would have done on recorded queries: every record of an outcomes
// file goes through the real Orchestrator (services/orchestrator/lib) over in-process tiers
// that answer as the recorded models did, so the climb, the acceptance rules and the cost
// are the orchestrator's own arithmetic. Compared, query by query, with the policy's top
// model answering alone.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "common/outcomes/outcomes.h"
#include "common/outcomes/prices.h"
#include "services/router/lib/tier_success_estimator.h"

namespace cascade::policy {

struct PolicyEvaluation {
  std::string top_model;
  int queries = 0;
  // Queries whose final answer and top model's answer both carry `correct` or `quality`.
  int graded = 0;
  double quality_sum = 0;      // The policy's, over graded queries.
  double top_quality_sum = 0;  // The top model alone's, over the same queries.
  int64_t cost_pusd = 0;       // Everything the policy paid (every attempt, self-checks).
  int64_t top_cost_pusd = 0;   // The top model answering every query alone.
  // Queries answered at each tier, in the policy's order.
  std::vector<std::pair<std::string, int>> final_tiers;
  // Queries the cascade failed, by status code ("NOT_FOUND": a tier had no record).
  std::map<std::string, int> errors;

  double quality() const { return graded > 0 ? quality_sum / graded : 0; }
  double top_quality() const { return graded > 0 ? top_quality_sum / graded : 0; }
  double cost_ratio() const {
    return top_cost_pusd > 0 ? static_cast<double>(cost_pusd) / static_cast<double>(top_cost_pusd)
                             : 0;
  }
};

// `tier_models` maps the policy's tier names to the outcomes' model names; a tier it does
// not name is the model of the same name. A policy whose rules weigh the router's estimate
// (or that starts where it says, `start: learned`) gets it from `estimator` (built on the
// training outcomes, tiers named by model, as the router's exemplars are) or, when that is
// null, from the records' own `router_estimate`. INVALID_ARGUMENT for a policy the
// orchestrator would reject (naming the field) or a model without a price;
// FAILED_PRECONDITION for a model the records never mention, or a policy that weighs the
// estimate with neither source.
absl::StatusOr<PolicyEvaluation> EvaluatePolicy(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>& prices,
    const v1::CascadePolicyConfig& policy,
    const std::map<std::string, std::string>& tier_models = {},
    std::shared_ptr<const router::TierSuccessEstimator> estimator = nullptr);

}  // namespace cascade::policy
