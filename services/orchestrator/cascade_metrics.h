#pragma once

// The cascade's observer in Prometheus: the orchestrator's series of the metrics catalogue
// (docs/architecture.md). It owns what requests paid and what the top tier alone would have
// cost; spend per model is the tier workers' (never add the two families together).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>

#include "services/orchestrator/lib/cascade_observer.h"

namespace cascade::orchestrator {

class CascadeMetrics final : public CascadeObserver {
 public:
  explicit CascadeMetrics(prometheus::Registry* registry);

  void RecordRequest(const std::string& policy, const std::string& route,
                     const std::string& final_tier, const std::string& outcome,
                     double seconds) override;
  void RecordCost(const std::string& policy, const std::string& route, int64_t cost_pusd,
                  int64_t baseline_pusd) override;
  void RecordEscalation(const std::string& policy, const std::string& from_tier,
                        const std::string& to_tier, const std::string& reason) override;
  void RecordTierAttempt(const std::string& policy, const std::string& tier,
                         bool accepted) override;
  void RecordStep(const std::string& tier, double seconds) override;
  void RecordConfidence(const std::string& tier, const std::string& method, double score) override;
  void SetCircuitOpen(const std::string& tier, bool open) override;
  void RecordDecisionLogDropped() override;
  void RecordPoliciesReload(bool ok) override;
  void RecordLearnedSkip(const std::string& policy, const std::string& tier) override;
  void RecordRouterEstimateMissing(const std::string& policy, const std::string& reason) override;
  void RecordCacheEmbeddingError(const std::string& policy) override;
  void RecordCacheLookup(const std::string& policy, const std::string& outcome,
                         const std::string& refused_by) override;
  void RecordCacheStore(int64_t entries, int64_t bytes, int64_t removed) override;
  void RecordCachePurge(const std::string& policy, int64_t removed) override;
  void RecordShadow(const std::string& policy, const std::string& tier,
                    const std::string& outcome) override;
  void RecordShadowCost(const std::string& policy, int64_t cost_pusd) override;
  void RecordShadowExemplar(const std::string& policy, bool ok) override;

 private:
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* cost_;
  prometheus::Family<prometheus::Counter>* baseline_;
  prometheus::Family<prometheus::Counter>* escalations_;
  prometheus::Family<prometheus::Counter>* tier_attempts_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  prometheus::Family<prometheus::Histogram>* step_seconds_;
  prometheus::Family<prometheus::Histogram>* confidence_;
  prometheus::Family<prometheus::Gauge>* circuit_open_;
  prometheus::Counter* decision_log_dropped_;
  prometheus::Family<prometheus::Counter>* policy_reloads_;
  prometheus::Family<prometheus::Counter>* learned_skips_;
  prometheus::Family<prometheus::Counter>* router_estimates_missing_;
  prometheus::Family<prometheus::Counter>* cache_lookups_;
  prometheus::Family<prometheus::Counter>* cache_rejections_;
  prometheus::Family<prometheus::Counter>* cache_embedding_errors_;
  prometheus::Gauge* cache_entries_;
  prometheus::Gauge* cache_bytes_;
  prometheus::Counter* cache_removals_;
  prometheus::Family<prometheus::Counter>* cache_purged_;
  prometheus::Family<prometheus::Counter>* shadow_evaluations_;
  prometheus::Family<prometheus::Counter>* shadow_cost_;
  prometheus::Family<prometheus::Counter>* shadow_exemplars_;
};

}  // namespace cascade::orchestrator
