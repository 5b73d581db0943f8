#pragma once

// The orchestrator's series of the metrics catalogue (ARCHITECTURE.md). It owns what
// requests paid and what the top tier alone would have cost; spend per model is the tier
// workers' (never add the two families together).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <string>

namespace cascade::orchestrator {

class CascadeMetrics {
 public:
  explicit CascadeMetrics(prometheus::Registry* registry);

  // outcome: "ok", or the status code in lower case.
  void RecordRequest(const std::string& route, const std::string& final_tier,
                     const std::string& outcome, double seconds);
  void RecordCost(const std::string& route, int64_t cost_pusd, int64_t baseline_pusd);
  // reason: low_confidence, judge, error, timeout, circuit_open.
  void RecordEscalation(const std::string& from_tier, const std::string& to_tier,
                        const std::string& reason);
  void RecordStep(const std::string& tier, double seconds);
  void RecordConfidence(const std::string& tier, const std::string& method, double score);
  void SetCircuitOpen(const std::string& tier, bool open);

 private:
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* cost_;
  prometheus::Family<prometheus::Counter>* baseline_;
  prometheus::Family<prometheus::Counter>* escalations_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
  prometheus::Family<prometheus::Histogram>* step_seconds_;
  prometheus::Family<prometheus::Histogram>* confidence_;
  prometheus::Family<prometheus::Gauge>* circuit_open_;
};

}  // namespace cascade::orchestrator
