#pragma once

// The router of `cascadectl policy eval`, in-process: each tier's estimate of a recorded
// query, for policies whose rules weigh the router's estimate. Either from a
// TierSuccessEstimator built on training outcomes (what a router that learned them with
// `cascadectl routes learn` answers), or from the estimates the records themselves carry
// (`router_estimate`, recorded when the query was answered in service). Routing by meaning
// is not replayed: Route names no route, so the climb starts where the policy starts.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/outcomes/outcomes.h"
#include "services/orchestrator/lib/clients.h"
#include "services/router/lib/tier_success_estimator.h"

namespace cascade::policy {

class OutcomesRouterClient final : public orchestrator::RouterClient {
 public:
  using TierModels = std::vector<std::pair<std::string, std::string>>;

  // `tier_models`: the policy's tiers in order, each with the outcomes' model it stands for.
  // Estimates as recorded in `records`, found by the query the router is asked (the last
  // user message); a record without them answers NOT_FOUND, as a router without exemplars.
  static std::unique_ptr<OutcomesRouterClient> FromRecords(
      const std::vector<outcomes::OutcomeRecord>& records, TierModels tier_models);
  // Estimates from `estimator`, whose tiers are the outcomes' model names.
  static std::unique_ptr<OutcomesRouterClient> FromEstimator(
      std::shared_ptr<const router::TierSuccessEstimator> estimator, TierModels tier_models);

  absl::StatusOr<v1::RouteDecision> Route(const std::string& query,
                                          const orchestrator::DownstreamCall& call) override;
  absl::StatusOr<v1::ListRoutesResponse> ListRoutes(
      const orchestrator::DownstreamCall& call) override;
  // One estimate per tier whose model has one, in the policy's order; NOT_FOUND when none
  // has (the orchestrator then treats the estimate as missing).
  absl::StatusOr<v1::EstimateTiersResponse> EstimateTiers(
      const std::string& query, const std::string& policy,
      const orchestrator::DownstreamCall& call) override;
  absl::StatusOr<v1::AddOutcomesResponse> AddOutcomes(
      const std::string& policy, const std::vector<v1::OutcomeExemplar>& exemplars,
      const orchestrator::DownstreamCall& call) override;

 private:
  explicit OutcomesRouterClient(TierModels tier_models) : tier_models_(std::move(tier_models)) {}
  // Model name -> estimate for `query`.
  absl::StatusOr<std::map<std::string, double>> ModelEstimates(const std::string& query) const;

  TierModels tier_models_;
  std::shared_ptr<const router::TierSuccessEstimator> estimator_;
  std::map<std::string, std::map<std::string, double>> recorded_;  // query -> model -> p
};

}  // namespace cascade::policy
