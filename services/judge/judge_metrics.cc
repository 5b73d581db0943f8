#include "services/judge/judge_metrics.h"

namespace cascade::judge {

JudgeMetrics::JudgeMetrics(prometheus::Registry* registry)
    : score_(&prometheus::BuildHistogram()
                  .Name("cascade_judge_score")
                  .Help("Scores given, in [0, 1], by method.")
                  .Register(*registry)),
      duration_(&prometheus::BuildHistogram()
                     .Name("cascade_judge_duration_seconds")
                     .Help("Time to score, by method.")
                     .Register(*registry)),
      cost_(&prometheus::BuildCounter()
                 .Name("cascade_judge_cost_usd_total")
                 .Help("What the judge's own model calls cost, in USD, by method.")
                 .Register(*registry)),
      degraded_(&prometheus::BuildCounter()
                     .Name("cascade_judge_degraded_total")
                     .Help("Combined scores given without the llm method, by reason.")
                     .Register(*registry)) {}

void JudgeMetrics::RecordMethod(const std::string& method, double score, double seconds,
                                int64_t cost_pusd) {
  score_
      ->Add({{"method", method}},
            prometheus::Histogram::BucketBoundaries{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
                                                    0.95, 0.99})
      .Observe(score);
  duration_
      ->Add({{"method", method}},
            prometheus::Histogram::BucketBoundaries{0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                    2.5, 5, 10})
      .Observe(seconds);
  // Integer pico-USD until here: the counter is the display's USD.
  cost_->Add({{"method", method}}).Increment(static_cast<double>(cost_pusd) * 1e-12);
}

void JudgeMetrics::RecordDegraded(const std::string& reason) {
  degraded_->Add({{"reason", reason}}).Increment();
}

}  // namespace cascade::judge
