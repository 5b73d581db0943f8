#include "tools/policy/policy_evaluation.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/concurrency/cancellation.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "tools/policy/outcomes_router_client.h"
#include "tools/policy/outcomes_tier_client.h"

namespace cascade::policy {
namespace {

// The evaluation reports what matters itself; the orchestrator's series go nowhere.
class NoMetrics final : public orchestrator::CascadeObserver {
 public:
  void RecordRequest(const std::string&, const std::string&, const std::string&, const std::string&,
                     double) override {}
  void RecordCost(const std::string&, const std::string&, int64_t, int64_t) override {}
  void RecordEscalation(const std::string&, const std::string&, const std::string&,
                        const std::string&) override {}
  void RecordTierAttempt(const std::string&, const std::string&, bool) override {}
  void RecordStep(const std::string&, double) override {}
  void RecordConfidence(const std::string&, const std::string&, double) override {}
  void SetCircuitOpen(const std::string&, bool) override {}
  void RecordDecisionLogDropped() override {}
  void RecordPoliciesReload(bool) override {}
  void RecordLearnedSkip(const std::string&, const std::string&) override {}
  void RecordRouterEstimateMissing(const std::string&, const std::string&) override {}
  void RecordCacheLookup(const std::string&, const std::string&, const std::string&) override {}
  void RecordCacheEmbeddingError(const std::string&) override {}
  void RecordCacheStore(int64_t, int64_t, int64_t) override {}
  void RecordCachePurge(const std::string&, int64_t) override {}
  void RecordShadow(const std::string&, const std::string&, const std::string&) override {}
  void RecordShadowCost(const std::string&, int64_t) override {}
  void RecordShadowExemplar(const std::string&, bool) override {}
};

std::string ModelOf(const std::string& tier,
                    const std::map<std::string, std::string>& tier_models) {
  auto it = tier_models.find(tier);
  return it == tier_models.end() ? tier : it->second;
}

}  // namespace

absl::StatusOr<PolicyEvaluation> EvaluatePolicy(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>& prices,
    const v1::CascadePolicyConfig& policy, const std::map<std::string, std::string>& tier_models,
    std::shared_ptr<const router::TierSuccessEstimator> estimator) {
  // The orchestrator's own checks of the policy, as if it were configured with it (and a
  // router, which is attached below only when the policy asks it for estimates).
  v1::OrchestratorConfig config;
  *config.add_policies() = policy;
  config.mutable_router()->set_address("in-process");
  OutcomesRouterClient::TierModels models_of_tiers;
  if (policy.name().empty()) config.mutable_policies(0)->set_name("policy");
  orchestrator::OrchestratorClients clients;
  PolicyEvaluation evaluation;
  for (const auto& tier : policy.tiers()) {
    if (clients.tiers.count(tier.tier())) continue;  // The orchestrator names the repeat.
    auto* tier_config = config.add_tiers();
    tier_config->set_name(tier.tier());
    tier_config->mutable_endpoint()->set_address("in-process");
    const std::string model = ModelOf(tier.tier(), tier_models);
    models_of_tiers.emplace_back(tier.tier(), model);
    auto price = prices.find(model);
    if (price == prices.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no price for model '", model, "' (tier '", tier.tier(), "')"));
    }
    auto answers = outcomes::RecordedAnswers::FromRecords(records, model);
    if (!answers.ok()) return answers.status();
    clients.tiers[tier.tier()] = std::make_shared<OutcomesTierClient>(
        tier.tier(), model, *std::move(answers), price->second);
    evaluation.final_tiers.emplace_back(tier.tier(), 0);
  }
  auto settings = orchestrator::SettingsFromConfig(config);
  if (!settings.ok()) return absl::InvalidArgumentError(settings.status().message());
  const std::string top_tier = settings->policies[0].tiers.back().tier;
  evaluation.top_model = ModelOf(top_tier, tier_models);
  const outcomes::ModelPrice& top_price = prices.at(evaluation.top_model);
  const orchestrator::PolicySettings& fitted = settings->policies[0];
  if (fitted.NeedsRouterEstimates() || (fitted.learned_start && estimator != nullptr)) {
    if (estimator != nullptr) {
      clients.router =
          OutcomesRouterClient::FromEstimator(std::move(estimator), std::move(models_of_tiers));
    } else {
      const bool recorded = std::any_of(records.begin(), records.end(), [](const auto& record) {
        return std::any_of(record.models.begin(), record.models.end(),
                           [](const auto& model) { return model.second.router_estimate; });
      });
      if (!recorded) {
        return absl::FailedPreconditionError(
            "the policy weighs the router's estimate, and the records carry none "
            "(router_estimate): give the training outcomes the router learned (--exemplars)");
      }
      clients.router = OutcomesRouterClient::FromRecords(records, std::move(models_of_tiers));
    }
  }
  orchestrator::Orchestrator cascade(*std::move(settings), std::move(clients),
                                     std::make_shared<NoMetrics>());

  for (const auto& record : records) {
    const outcomes::ModelOutcome* top = record.Find(evaluation.top_model);
    if (top == nullptr) continue;  // Not comparable with the top model alone.
    ++evaluation.queries;
    v1::CascadeRequest request;
    for (const auto& message : record.messages) *request.add_messages() = message;
    CancellationToken never_cancelled;
    orchestrator::CascadeCall call;
    call.request_id = record.id;
    call.cancellation = &never_cancelled;
    auto response = cascade.Complete(request, call);
    evaluation.top_cost_pusd += top_price.CostPusd(top->usage);
    if (!response.ok()) {
      ++evaluation.errors[absl::StatusCodeToString(response.status().code())];
      continue;
    }
    evaluation.cost_pusd += response->cost_pusd();
    for (auto& [tier, count] : evaluation.final_tiers) count += tier == response->final_tier();
    const outcomes::ModelOutcome* answered =
        record.Find(ModelOf(response->final_tier(), tier_models));
    const std::optional<double> quality = answered->Quality();
    const std::optional<double> top_quality = top->Quality();
    if (!quality || !top_quality) continue;
    ++evaluation.graded;
    evaluation.quality_sum += *quality;
    evaluation.top_quality_sum += *top_quality;
  }
  return evaluation;
}

}  // namespace cascade::policy
