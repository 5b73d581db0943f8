#include "services/orchestrator/cascade_metrics.h"

namespace cascade::orchestrator {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return *buckets;
}

double PicoUsdToUsd(int64_t pusd) { return static_cast<double>(pusd) / 1e12; }

}  // namespace

CascadeMetrics::CascadeMetrics(prometheus::Registry* registry) {
  requests_ = &prometheus::BuildCounter()
                   .Name("cascade_requests_total")
                   .Help("Cascade requests by policy, route, final tier and outcome.")
                   .Register(*registry);
  cost_ = &prometheus::BuildCounter()
               .Name("cascade_request_cost_usd_total")
               .Help("What requests paid in USD: every step and judge call (per policy and route).")
               .Register(*registry);
  baseline_ = &prometheus::BuildCounter()
                   .Name("cascade_request_baseline_cost_usd_total")
                   .Help("What the same answers would have cost on the top tier alone, USD.")
                   .Register(*registry);
  escalations_ = &prometheus::BuildCounter()
                      .Name("cascade_escalations_total")
                      .Help("Climbs from one tier to the next, by policy and reason.")
                      .Register(*registry);
  tier_attempts_ = &prometheus::BuildCounter()
                        .Name("cascade_tier_attempts_total")
                        .Help(
                            "Tiers that answered, by policy: the answer returned (accepted) "
                            "or climbed past (escalated).")
                        .Register(*registry);
  request_seconds_ = &prometheus::BuildHistogram()
                          .Name("cascade_request_duration_seconds")
                          .Help("Whole cascade requests, routing included.")
                          .Register(*registry);
  step_seconds_ = &prometheus::BuildHistogram()
                       .Name("cascade_step_duration_seconds")
                       .Help("One tier's attempt, its confidence check included.")
                       .Register(*registry);
  confidence_ = &prometheus::BuildHistogram()
                     .Name("cascade_confidence")
                     .Help("Confidence scores in [0, 1] the acceptance rules saw.")
                     .Register(*registry);
  circuit_open_ = &prometheus::BuildGauge()
                       .Name("cascade_tier_circuit_open")
                       .Help("1 while the tier's circuit breaker is open (the tier is skipped).")
                       .Register(*registry);
  decision_log_dropped_ = &prometheus::BuildCounter()
                               .Name("cascade_decision_log_dropped_total")
                               .Help(
                                   "Decision log lines dropped: the writer's queue was full or "
                                   "the write failed.")
                               .Register(*registry)
                               .Add({});
  policy_reloads_ = &prometheus::BuildCounter()
                         .Name("cascade_policy_reloads_total")
                         .Help(
                             "New versions of policies_file: applied (ok) or refused (error; "
                             "the policies in service stay).")
                         .Register(*registry);
  learned_skips_ = &prometheus::BuildCounter()
                        .Name("cascade_learned_skips_total")
                        .Help(
                            "Tiers a `start: learned` policy skipped: the router's estimate "
                            "said trying them would cost more than it saves.")
                        .Register(*registry);
  router_estimates_missing_ =
      &prometheus::BuildCounter()
           .Name("cascade_router_estimates_missing_total")
           .Help(
               "Requests of a policy whose rules weigh the router's estimate that got none "
               "(those rules then escalate), by reason: no_router, router_error, no_estimates.")
           .Register(*registry);
  cache_lookups_ = &prometheus::BuildCounter()
                        .Name("cascade_cache_lookups_total")
                        .Help(
                            "Requests of a policy with an answer cache, by outcome: exact_hit, "
                            "semantic_hit, miss, or not looked up: sampled (temperature > 0), "
                            "logprobs (asked for).")
                        .Register(*registry);
  cache_rejections_ = &prometheus::BuildCounter()
                           .Name("cascade_cache_rejections_total")
                           .Help(
                               "Semantic cache candidates refused, by guard: similarity (below "
                               "the threshold), numbers, negation, entities, swaps, additions, "
                               "verification (the judge's score below cache.verify.min), "
                               "verification_error (the judge gave none).")
                           .Register(*registry);
  cache_embedding_errors_ =
      &prometheus::BuildCounter()
           .Name("cascade_cache_embedding_errors_total")
           .Help(
               "Requests whose last user message the answer cache's embedder could not embed "
               "(answer_cache.openai_embedder failing): looked up exactly only.")
           .Register(*registry);
  cache_entries_ = &prometheus::BuildGauge()
                        .Name("cascade_cache_entries")
                        .Help("Answers in the answer cache.")
                        .Register(*registry)
                        .Add({});
  cache_bytes_ = &prometheus::BuildGauge()
                      .Name("cascade_cache_bytes")
                      .Help("Approximate memory of the answer cache's entries.")
                      .Register(*registry)
                      .Add({});
  cache_removals_ = &prometheus::BuildCounter()
                         .Name("cascade_cache_evictions_total")
                         .Help(
                             "Answers removed from the answer cache to make room (least "
                             "recently used) or because their TTL passed.")
                         .Register(*registry)
                         .Add({});
  cache_purged_ = &prometheus::BuildCounter()
                       .Name("cascade_cache_purged_total")
                       .Help(
                           "Answers removed from the answer cache by an operator's purge "
                           "(AnswerCacheAdmin.Purge, cascadectl cache purge), per policy.")
                       .Register(*registry);
  shadow_evaluations_ =
      &prometheus::BuildCounter()
           .Name("cascade_shadow_evaluations_total")
           .Help(
               "Answers sampled for shadow evaluation, by the tier that answered and outcome: "
               "agree or disagree with the shadow tier's answer, error, over_budget, "
               "queue_full, no_price. Agreement rate: agree / (agree + disagree).")
           .Register(*registry);
  shadow_cost_ = &prometheus::BuildCounter()
                      .Name("cascade_shadow_cost_usd_total")
                      .Help("Spent on shadow calls (not in cascade_request_cost_usd_total).")
                      .Register(*registry);
  shadow_exemplars_ = &prometheus::BuildCounter()
                           .Name("cascade_shadow_exemplars_total")
                           .Help(
                               "Shadow results sent to the router as outcome exemplars "
                               "(ok) or refused (error).")
                           .Register(*registry);
}

void CascadeMetrics::RecordShadow(const std::string& policy, const std::string& tier,
                                  const std::string& outcome) {
  shadow_evaluations_->Add({{"policy", policy}, {"tier", tier}, {"outcome", outcome}}).Increment();
}

void CascadeMetrics::RecordShadowCost(const std::string& policy, int64_t cost_pusd) {
  shadow_cost_->Add({{"policy", policy}}).Increment(PicoUsdToUsd(cost_pusd));
}

void CascadeMetrics::RecordShadowExemplar(const std::string& policy, bool ok) {
  shadow_exemplars_->Add({{"policy", policy}, {"outcome", ok ? "ok" : "error"}}).Increment();
}

void CascadeMetrics::RecordLearnedSkip(const std::string& policy, const std::string& tier) {
  learned_skips_->Add({{"policy", policy}, {"tier", tier}}).Increment();
}

void CascadeMetrics::RecordRouterEstimateMissing(const std::string& policy,
                                                 const std::string& reason) {
  router_estimates_missing_->Add({{"policy", policy}, {"reason", reason}}).Increment();
}

void CascadeMetrics::RecordCacheLookup(const std::string& policy, const std::string& outcome,
                                       const std::string& refused_by) {
  cache_lookups_->Add({{"policy", policy}, {"outcome", outcome}}).Increment();
  if (!refused_by.empty()) {
    cache_rejections_->Add({{"policy", policy}, {"guard", refused_by}}).Increment();
  }
}

void CascadeMetrics::RecordCacheEmbeddingError(const std::string& policy) {
  cache_embedding_errors_->Add({{"policy", policy}}).Increment();
}

void CascadeMetrics::RecordCacheStore(int64_t entries, int64_t bytes, int64_t removed) {
  cache_entries_->Set(static_cast<double>(entries));
  cache_bytes_->Set(static_cast<double>(bytes));
  if (removed > 0) cache_removals_->Increment(static_cast<double>(removed));
}

void CascadeMetrics::RecordCachePurge(const std::string& policy, int64_t removed) {
  if (removed > 0) cache_purged_->Add({{"policy", policy}}).Increment(static_cast<double>(removed));
}

void CascadeMetrics::RecordDecisionLogDropped() { decision_log_dropped_->Increment(); }

void CascadeMetrics::RecordPoliciesReload(bool ok) {
  policy_reloads_->Add({{"outcome", ok ? "ok" : "error"}}).Increment();
}

void CascadeMetrics::RecordRequest(const std::string& policy, const std::string& route,
                                   const std::string& final_tier, const std::string& outcome,
                                   double seconds) {
  requests_
      ->Add(
          {{"policy", policy}, {"route", route}, {"final_tier", final_tier}, {"outcome", outcome}})
      .Increment();
  request_seconds_->Add({{"route", route}}, LatencyBuckets()).Observe(seconds);
}

void CascadeMetrics::RecordCost(const std::string& policy, const std::string& route,
                                int64_t cost_pusd, int64_t baseline_pusd) {
  cost_->Add({{"policy", policy}, {"route", route}}).Increment(PicoUsdToUsd(cost_pusd));
  baseline_->Add({{"policy", policy}, {"route", route}}).Increment(PicoUsdToUsd(baseline_pusd));
}

void CascadeMetrics::RecordEscalation(const std::string& policy, const std::string& from_tier,
                                      const std::string& to_tier, const std::string& reason) {
  escalations_
      ->Add(
          {{"policy", policy}, {"from_tier", from_tier}, {"to_tier", to_tier}, {"reason", reason}})
      .Increment();
}

void CascadeMetrics::RecordTierAttempt(const std::string& policy, const std::string& tier,
                                       bool accepted) {
  tier_attempts_
      ->Add({{"policy", policy}, {"tier", tier}, {"outcome", accepted ? "accepted" : "escalated"}})
      .Increment();
}

void CascadeMetrics::RecordStep(const std::string& tier, double seconds) {
  step_seconds_->Add({{"tier", tier}}, LatencyBuckets()).Observe(seconds);
}

void CascadeMetrics::RecordConfidence(const std::string& tier, const std::string& method,
                                      double score) {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99};
  confidence_->Add({{"tier", tier}, {"method", method}}, *buckets).Observe(score);
}

void CascadeMetrics::SetCircuitOpen(const std::string& tier, bool open) {
  circuit_open_->Add({{"tier", tier}}).Set(open ? 1 : 0);
}

}  // namespace cascade::orchestrator
