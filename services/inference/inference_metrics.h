#pragma once

// The inference service's series of the metrics catalogue (docs/architecture.md).

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "services/inference/engine/speculative.h"
#include "services/inference/model_worker.h"

namespace cascade::inference {

class InferenceMetrics {
 public:
  explicit InferenceMetrics(prometheus::Registry& registry);

  // outcome: ok, cancelled, invalid_argument, not_found, resource_exhausted,
  // deadline_exceeded, error.
  void RecordRequest(const std::string& model, const std::string& outcome);
  void RecordTokens(const std::string& model, int64_t input, int64_t output);
  void RecordLatency(const std::string& model, double time_to_first_token,
                     double time_per_output_token);
  void SetQueueDepth(const std::string& model, int depth);
  void RecordQueueWait(const std::string& model, double seconds);
  void RecordBatchStep(const std::string& model, const BatchStep& step);
  // drafter: "draft_model" or "ngram".
  void RecordSpeculation(const std::string& model, const std::string& drafter,
                         const engine::SpeculationStats& stats);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& tokens_;
  prometheus::Family<prometheus::Histogram>& time_to_first_token_;
  prometheus::Family<prometheus::Histogram>& time_per_output_token_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Histogram>& queue_wait_;
  prometheus::Family<prometheus::Histogram>& batch_sequences_;
  prometheus::Family<prometheus::Gauge>& kv_cache_usage_;
  prometheus::Family<prometheus::Counter>& prefix_reused_tokens_;
  prometheus::Family<prometheus::Counter>& rounds_;
  prometheus::Family<prometheus::Counter>& draft_tokens_;
  prometheus::Family<prometheus::Counter>& accepted_tokens_;
  prometheus::Family<prometheus::Counter>& accepted_at_position_;
};

}  // namespace cascade::inference
