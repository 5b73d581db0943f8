#pragma once

// The judge's series of the metrics catalogue (docs/architecture.md), label `method`
// ("logprob", "llm", "validators", "combined"), plus cascade_judge_degraded_total{reason}:
// combined scores given without the llm because its call failed.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace cascade::judge {

class JudgeMetrics {
 public:
  explicit JudgeMetrics(prometheus::Registry* registry);

  void RecordMethod(const std::string& method, double score, double seconds, int64_t cost_pusd);
  // reason: "llm_error".
  void RecordDegraded(const std::string& reason);

 private:
  prometheus::Family<prometheus::Histogram>* score_;
  prometheus::Family<prometheus::Histogram>* duration_;
  prometheus::Family<prometheus::Counter>* cost_;
  prometheus::Family<prometheus::Counter>* degraded_;
};

}  // namespace cascade::judge
