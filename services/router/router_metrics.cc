#include "services/router/router_metrics.h"

#include <utility>

namespace cascade::router {
namespace {

// Route() takes tens to hundreds of microseconds: buckets from 10 us to 100 ms.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1};
}

// Scores lie in [-1, 1] but land in [0, 1] for every built-in scorer; tenths tell a
// confident match from a marginal one.
prometheus::Histogram::BucketBoundaries ScoreBuckets() {
  return {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
}

prometheus::Counter* Counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Histogram* Histogram(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help,
                                 const prometheus::Histogram::BucketBoundaries& buckets) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
}

}  // namespace

RouterMetrics::RouterMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)) {
  prometheus::Registry& r = *registry_;
  decisions_ = &prometheus::BuildCounter()
                    .Name("cascade_router_decisions_total")
                    .Help("Routing decisions by chosen route (the default route included).")
                    .Register(r);
  below_threshold_ = Counter(r, "cascade_router_below_threshold_total",
                             "Queries whose best route scored below its threshold, so the "
                             "default route was chosen.");
  score_ =
      Histogram(r, "cascade_router_score", "Score of the best route per query.", ScoreBuckets());
  embed_seconds_ = Histogram(r, "cascade_router_embed_duration_seconds", "Time to embed a query.",
                             LatencyBuckets());
  search_seconds_ =
      Histogram(r, "cascade_router_search_duration_seconds",
                "Time to search the exemplar index and score the routes.", LatencyBuckets());
  exemplars_ = &prometheus::BuildGauge()
                    .Name("cascade_router_exemplars")
                    .Help("Route exemplars in the index now being served.")
                    .Register(r)
                    .Add({});
  reloads_ =
      Counter(r, "cascade_router_reloads_total", "Routes file changes loaded and swapped in.");
  reload_failures_ = Counter(r, "cascade_router_reload_failures_total",
                             "Routes file changes that failed to load; the previous routes "
                             "stay in service.");
  write_back_failures_ = Counter(r, "cascade_router_write_back_failures_total",
                                 "Route changes over gRPC that could not be written to the "
                                 "writable routes file (and were rolled back).");
  embed_failures_ = Counter(r, "cascade_router_embed_failures_total",
                            "Route() calls failed because the embedding endpoint failed "
                            "(answered UNAVAILABLE; callers start at the first tier).");
  tier_estimates_ = &prometheus::BuildCounter()
                         .Name("cascade_router_tier_estimates_total")
                         .Help(
                             "EstimateTiers calls by outcome: ok, no_exemplars (the policy "
                             "has none; the caller starts at its first tier), error.")
                         .Register(r);
  outcome_exemplars_ = &prometheus::BuildGauge()
                            .Name("cascade_router_outcome_exemplars")
                            .Help("Outcome exemplars held per policy (learned start).")
                            .Register(r);
  outcome_reloads_ = &prometheus::BuildCounter()
                          .Name("cascade_router_outcome_reloads_total")
                          .Help(
                              "Outcomes file changes loaded (ok) or rejected (error; the "
                              "exemplars in service stay).")
                          .Register(r);
}

void RouterMetrics::RecordTierEstimate(const std::string& outcome) {
  tier_estimates_->Add({{"outcome", outcome}}).Increment();
}

void RouterMetrics::SetOutcomeExemplars(const std::string& policy, size_t exemplars) {
  outcome_exemplars_->Add({{"policy", policy}}).Set(static_cast<double>(exemplars));
}

void RouterMetrics::RecordOutcomeReload(bool ok) {
  outcome_reloads_->Add({{"outcome", ok ? "ok" : "error"}}).Increment();
}

void RouterMetrics::RecordDecision(const Decision& decision) {
  decisions_->Add({{"route", decision.route}}).Increment();
  if (decision.below_threshold) below_threshold_->Increment();
  // With no routes there is no score, embedding or search to record.
  if (decision.best_route.empty()) return;
  score_->Observe(decision.score);
  embed_seconds_->Observe(decision.embed_seconds);
  search_seconds_->Observe(decision.search_seconds);
}

void RouterMetrics::SetExemplars(size_t exemplars) {
  exemplars_->Set(static_cast<double>(exemplars));
}

void RouterMetrics::RecordReload() { reloads_->Increment(); }
void RouterMetrics::RecordReloadFailure() { reload_failures_->Increment(); }
void RouterMetrics::RecordWriteBackFailure() { write_back_failures_->Increment(); }
void RouterMetrics::RecordEmbedFailure() { embed_failures_->Increment(); }

}  // namespace cascade::router
