#include "services/orchestrator/lib/orchestrator.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "services/orchestrator/lib/cache_verification.h"
#include "services/orchestrator/lib/cost_estimate.h"
#include "services/orchestrator/lib/request_plan.h"

namespace cascade::orchestrator {
namespace {

std::string OutcomeLabel(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

}  // namespace

Orchestrator::Orchestrator(OrchestratorSettings settings, OrchestratorClients clients,
                           std::shared_ptr<CascadeObserver> observer,
                           std::function<absl::Time()> clock, ShadowEvaluatorOptions shadow_options)
    : settings_(std::move(settings)),
      policies_(std::make_shared<const std::vector<PolicySettings>>(settings_.policies)),
      clients_(std::move(clients)),
      observer_(observer),
      clock_(std::move(clock)),
      acceptance_(clients_.judge.get()),
      prices_(TierPrices::Options(), clock_),
      start_selector_(clients_.router.get(), settings_.router_timeout, clock_,
                      [this](const v1::CascadeRequest& request, const std::string& tier,
                             const std::string& request_id) -> std::optional<double> {
                        std::optional<TierDescription> described = prices_.Get(tier, request_id);
                        if (!described) return std::nullopt;
                        return static_cast<double>(ExpectedCostPusd(request, described->price));
                      }) {
  shared_.prices = &prices_;
  shared_.acceptance = &acceptance_;
  shared_.observer = observer_.get();
  shared_.clock = clock_;
  for (const auto& tier : settings_.tiers) {
    prices_.AddTier(tier.name, clients_.tiers[tier.name], tier.fallback_price);
    std::string name = tier.name;
    auto breaker =
        std::make_unique<CircuitBreaker>(settings_.breaker, clock_, [this, name](bool open) {
          observer_->SetCircuitOpen(name, open);
          LogWarn(open ? "circuit_opened" : "circuit_closed", {{"tier", name}});
        });
    shared_.tiers[tier.name] = TierHandle{clients_.tiers[tier.name], std::move(breaker)};
    observer_->SetCircuitOpen(tier.name, false);
  }
  auto cached_answers =
      CachedAnswers::Create(settings_.answer_cache, clients_.cache_embedder, clock_);
  if (cached_answers.ok()) {
    cached_answers_ = *std::move(cached_answers);
  } else {
    LogError("answer_cache_unavailable", {{"error", cached_answers.status().ToString()}});
  }
  cache_admin_ = std::make_unique<AnswerCacheAdmin>(
      cached_answers_ != nullptr ? &cached_answers_->store() : nullptr,
      [this] { return policies(); },
      [this](const cache::AnswerCachePurgeResult& purged) {
        for (const auto& [policy, removed] : purged.removed_by_policy) {
          observer_->RecordCachePurge(policy, removed);
        }
        ReportCacheStore();
      });
  shadow_ = std::make_unique<ShadowEvaluator>(
      std::move(shadow_options), ShadowClients{clients_.tiers, clients_.router, clients_.judge},
      observer_.get(), &prices_, clock_);
}

std::vector<std::string> Orchestrator::PolicyNames() const {
  std::vector<std::string> names;
  for (const auto& policy : *policies()) names.push_back(policy.name);
  return names;
}

Orchestrator::Policies Orchestrator::policies() const {
  absl::MutexLock lock(&policies_mu_);
  return policies_;
}

void Orchestrator::ReplacePolicies(std::vector<PolicySettings> policies) {
  auto replacement = std::make_shared<const std::vector<PolicySettings>>(std::move(policies));
  absl::MutexLock lock(&policies_mu_);
  policies_ = std::move(replacement);
}

void Orchestrator::SetDecisionLog(std::shared_ptr<DecisionLog> log) {
  decision_log_ = std::move(log);
  shadow_->SetDecisionLog(decision_log_);
  shared_.keep_answers = decision_log_ != nullptr && decision_log_->include_prompt();
}

absl::StatusOr<v1::CascadeResponse> Orchestrator::Complete(const v1::CascadeRequest& request,
                                                           const CascadeCall& call) {
  FinishedRequest finished;
  finished.request = &request;
  finished.call = &call;
  finished.began = clock_();
  // The policies this request runs under, kept alive until it ends whatever reloads.
  const Policies policies = this->policies();
  auto plan = PlanRequest(request, *policies, call.deadline, finished.began);
  if (!plan.ok()) return Record(plan.status(), finished);
  finished.policy = plan->policy->name;
  int64_t verification_cost_pusd = 0;
  if (auto cached = FromCache(*plan, request, call, finished, verification_cost_pusd)) {
    return *std::move(cached);
  }
  auto start = start_selector_.Choose(request, *plan, call);
  if (!start.ok()) return Record(start.status(), finished);
  finished.start = &*start;
  plan->spent_before_climb_pusd = verification_cost_pusd;
  if (!start->estimates_missing.empty()) {
    observer_->RecordRouterEstimateMissing(plan->policy->name, start->estimates_missing);
  }
  CascadeRun run(shared_, request, *plan, *start, call);
  absl::StatusOr<v1::CascadeResponse> result = run.Run();
  if (result.ok() && verification_cost_pusd > 0) {
    // The judge call that refused a cached answer was made for this request.
    result->set_cost_pusd(result->cost_pusd() + verification_cost_pusd);
    result->set_savings_pusd(result->savings_pusd() - verification_cost_pusd);
  }
  finished.answers = &run.answers();
  result = Record(std::move(result), finished);
  if (result.ok()) {
    KeepInCache(*plan->policy, request, call, *result);
    shadow_->Offer(*plan->policy, request, call, *result);
  }
  return result;
}

std::optional<absl::StatusOr<v1::CascadeResponse>> Orchestrator::FromCache(
    const RequestPlan& plan, const v1::CascadeRequest& request, const CascadeCall& call,
    FinishedRequest& finished, int64_t& verification_cost_pusd) {
  const PolicySettings& policy = *plan.policy;
  if (!policy.cache || cached_answers_ == nullptr) return std::nullopt;
  CacheLookup cached = cached_answers_->Find(policy, request, call.temperature_unset);
  if (cached.response && cached.response->cache().kind() == "semantic" && policy.cache->verify) {
    VerifyHit(plan, request, call, cached, verification_cost_pusd);
  }
  observer_->RecordCacheLookup(policy.name, cached.outcome, cached.refused_by);
  if (cached.embedding_failed) observer_->RecordCacheEmbeddingError(policy.name);
  if (!cached.response) return std::nullopt;
  CascadeStart start;
  start.route_label = "cache";
  start.route = "cache";
  start.why = absl::StrCat("cache_", cached.response->cache().kind());
  finished.start = &start;
  if (call.on_text) call.on_text(cached.response->answer(), TokenLogprobs());
  return Record(*std::move(cached.response), finished);
}

void Orchestrator::VerifyHit(const RequestPlan& plan, const v1::CascadeRequest& request,
                             const CascadeCall& call, CacheLookup& cached,
                             int64_t& verification_cost_pusd) {
  const DownstreamCall judge_call{plan.deadline, call.request_id, call.cancellation};
  const CacheVerification verdict =
      VerifyCachedAnswer(clients_.judge.get(), *plan.policy->cache->verify, request,
                         *cached.response, judge_call, clock_());
  verification_cost_pusd = verdict.cost_pusd;
  if (verdict.serve) {
    v1::CascadeResponse& response = *cached.response;
    response.mutable_cache()->set_verification_score(verdict.score);
    response.mutable_cache()->set_verification_cost_pusd(verdict.cost_pusd);
    response.set_cost_pusd(verdict.cost_pusd);
    response.set_savings_pusd(response.baseline_cost_pusd() - verdict.cost_pusd);
    return;
  }
  if (!verdict.error.empty()) {
    LogWarn(
        "answer_cache_verification_failed",
        {{"policy", plan.policy->name}, {"error", verdict.error}, {"request_id", call.request_id}});
  }
  cached.response.reset();
  cached.outcome = "miss";
  cached.refused_by = verdict.error.empty() ? "verification" : "verification_error";
}

void Orchestrator::KeepInCache(const PolicySettings& policy, const v1::CascadeRequest& request,
                               const CascadeCall& call, const v1::CascadeResponse& response) {
  if (!policy.cache || cached_answers_ == nullptr) return;
  if (!cached_answers_->Keep(policy, request, call.temperature_unset, response)) return;
  ReportCacheStore();
}

void Orchestrator::ReportCacheStore() {
  const cache::AnswerCache::Totals totals = cached_answers_->StoreTotals();
  const int64_t before = cache_removed_reported_.exchange(totals.evicted_or_expired);
  observer_->RecordCacheStore(totals.entries, totals.bytes,
                              std::max<int64_t>(0, totals.evicted_or_expired - before));
}

absl::StatusOr<v1::CascadeResponse> Orchestrator::Record(absl::StatusOr<v1::CascadeResponse> result,
                                                         FinishedRequest finished) {
  const v1::CascadeRequest& request = *finished.request;
  const CascadeCall& call = *finished.call;
  const std::string route = finished.start != nullptr ? finished.start->route_label : "none";
  const std::string policy = finished.policy.empty() ? "none" : finished.policy;
  const double seconds = absl::ToDoubleSeconds(clock_() - finished.began);
  const std::string outcome = OutcomeLabel(result.status());
  observer_->RecordRequest(policy, route, result.ok() ? result->final_tier() : "", outcome,
                           seconds);
  nlohmann::json line = {{"request_id", call.request_id},
                         {"tenant", request.tenant()},
                         {"policy", request.policy()},
                         {"route", route},
                         {"outcome", outcome},
                         {"seconds", seconds}};
  if (result.ok()) {
    observer_->RecordCost(policy, route, result->cost_pusd(), result->baseline_cost_pusd());
    for (const std::string& tier : result->skipped_tiers()) {
      observer_->RecordLearnedSkip(policy, tier);
    }
    line["final_tier"] = result->final_tier();
    line["steps"] = result->steps_size();
    line["cost_pusd"] = result->cost_pusd();
    line["baseline_cost_pusd"] = result->baseline_cost_pusd();
    line["savings_pusd"] = result->savings_pusd();
    if (!result->stopped_reason().empty()) line["stopped_reason"] = result->stopped_reason();
  } else {
    line["error"] = result.status().ToString();
  }
  Logger::Log(result.ok() ? LogLevel::kInfo : LogLevel::kWarn, "cascade_request", line);
  if (decision_log_ != nullptr) {
    finished.seconds = seconds;
    finished.result = &result;
    decision_log_->Record(finished);
  }
  return result;
}

}  // namespace cascade::orchestrator
