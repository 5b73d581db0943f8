#pragma once

// The router's series of the metrics catalogue (docs/architecture.md), plus the counters of its
// degraded modes (a routes file that would not load, a write-back that failed):
//   cascade_router_decisions_total{route}
//   cascade_router_below_threshold_total
//   cascade_router_score (histogram)
//   cascade_router_embed_duration_seconds, cascade_router_search_duration_seconds
//   cascade_router_exemplars (gauge)
//   cascade_router_reloads_total, cascade_router_reload_failures_total
//   cascade_router_write_back_failures_total
//   cascade_router_embed_failures_total (a remote embedder failed a query: UNAVAILABLE)
//   cascade_router_tier_estimates_total{outcome} ("ok", "no_exemplars", "error")
//   cascade_router_outcome_exemplars{policy} (gauge)
//   cascade_router_outcome_reloads_total{outcome} (the outcomes file, "ok" or "error")

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>

#include "services/router/lib/decision.h"

namespace cascade::router {

class RouterMetrics {
 public:
  // Keeps `registry` alive: the watcher thread may record after the server stopped.
  explicit RouterMetrics(std::shared_ptr<prometheus::Registry> registry);

  void RecordDecision(const Decision& decision);
  void SetExemplars(size_t exemplars);
  void RecordReload();
  void RecordReloadFailure();
  void RecordWriteBackFailure();
  void RecordEmbedFailure();
  // outcome: "ok", "no_exemplars" or "error".
  void RecordTierEstimate(const std::string& outcome);
  void SetOutcomeExemplars(const std::string& policy, size_t exemplars);
  void RecordOutcomeReload(bool ok);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  // Route names are configured (bounded); the family adds one series per route seen.
  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Counter* below_threshold_;
  prometheus::Histogram* score_;
  prometheus::Histogram* embed_seconds_;
  prometheus::Histogram* search_seconds_;
  prometheus::Gauge* exemplars_;
  prometheus::Counter* reloads_;
  prometheus::Counter* reload_failures_;
  prometheus::Counter* write_back_failures_;
  prometheus::Counter* embed_failures_;
  prometheus::Family<prometheus::Counter>* tier_estimates_;
  // Policies come from AddOutcomes (an operator's call) and the outcomes file: bounded.
  prometheus::Family<prometheus::Gauge>* outcome_exemplars_;
  prometheus::Family<prometheus::Counter>* outcome_reloads_;
};

}  // namespace cascade::router
