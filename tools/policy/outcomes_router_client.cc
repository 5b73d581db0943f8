#include "tools/policy/outcomes_router_client.h"

#include "absl/strings/str_cat.h"
#include "common/validation/chat_messages.h"

namespace cascade::policy {
namespace {

// What the orchestrator asks the router about (start_selector.cc): the last user message,
// else the last message.
std::string QueryOf(const std::vector<v1::ChatMessage>& messages) {
  google::protobuf::RepeatedPtrField<v1::ChatMessage> repeated(messages.begin(), messages.end());
  std::string query = LastUserMessage(repeated);
  if (query.empty() && !messages.empty()) query = messages.back().content();
  return query;
}

}  // namespace

std::unique_ptr<OutcomesRouterClient> OutcomesRouterClient::FromRecords(
    const std::vector<outcomes::OutcomeRecord>& records, TierModels tier_models) {
  std::unique_ptr<OutcomesRouterClient> client(new OutcomesRouterClient(std::move(tier_models)));
  for (const outcomes::OutcomeRecord& record : records) {
    std::map<std::string, double> estimates;
    for (const auto& [model, outcome] : record.models) {
      if (outcome.router_estimate) estimates[model] = *outcome.router_estimate;
    }
    if (!estimates.empty()) client->recorded_.emplace(QueryOf(record.messages), estimates);
  }
  return client;
}

std::unique_ptr<OutcomesRouterClient> OutcomesRouterClient::FromEstimator(
    std::shared_ptr<const router::TierSuccessEstimator> estimator, TierModels tier_models) {
  std::unique_ptr<OutcomesRouterClient> client(new OutcomesRouterClient(std::move(tier_models)));
  client->estimator_ = std::move(estimator);
  return client;
}

absl::StatusOr<std::map<std::string, double>> OutcomesRouterClient::ModelEstimates(
    const std::string& query) const {
  if (estimator_ == nullptr) {
    auto found = recorded_.find(query);
    if (found == recorded_.end()) {
      return absl::NotFoundError("the record carries no router_estimate");
    }
    return found->second;
  }
  auto estimated = estimator_->Estimate(query);
  if (!estimated.ok()) return estimated.status();
  std::map<std::string, double> estimates;
  for (const router::TierEstimate& estimate : *estimated) {
    estimates[estimate.tier] = estimate.probability;
  }
  return estimates;
}

absl::StatusOr<v1::EstimateTiersResponse> OutcomesRouterClient::EstimateTiers(
    const std::string& query, const std::string& policy, const orchestrator::DownstreamCall&) {
  auto estimates = ModelEstimates(query);
  if (!estimates.ok()) return estimates.status();
  v1::EstimateTiersResponse response;
  for (const auto& [tier, model] : tier_models_) {
    auto found = estimates->find(model);
    if (found == estimates->end()) continue;
    v1::TierEstimate* estimate = response.add_estimates();
    estimate->set_tier(tier);
    estimate->set_probability(found->second);
  }
  if (response.estimates().empty()) {
    return absl::NotFoundError(absl::StrCat("no estimate for a tier of policy '", policy, "'"));
  }
  return response;
}

absl::StatusOr<v1::RouteDecision> OutcomesRouterClient::Route(const std::string&,
                                                              const orchestrator::DownstreamCall&) {
  return v1::RouteDecision();  // No route: the climb starts at the policy's first tier.
}

absl::StatusOr<v1::ListRoutesResponse> OutcomesRouterClient::ListRoutes(
    const orchestrator::DownstreamCall&) {
  return v1::ListRoutesResponse();
}

absl::StatusOr<v1::AddOutcomesResponse> OutcomesRouterClient::AddOutcomes(
    const std::string&, const std::vector<v1::OutcomeExemplar>&,
    const orchestrator::DownstreamCall&) {
  return absl::UnimplementedError("policy eval learns nothing from the evaluated queries");
}

}  // namespace cascade::policy
