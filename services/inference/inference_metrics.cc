#include "services/inference/inference_metrics.h"

#include <algorithm>

namespace cascade::inference {
namespace {

constexpr int kMaxPositionLabel = 16;  // Bounded label values.

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& registry,
                                                 const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Histogram>& Histogram(prometheus::Registry& registry,
                                                     const std::string& name,
                                                     const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

InferenceMetrics::InferenceMetrics(prometheus::Registry& registry)
    : requests_(Counter(registry, "cascade_inference_requests_total",
                        "Generate requests by model and outcome.")),
      tokens_(Counter(registry, "cascade_inference_tokens_total",
                      "Tokens by model and direction (input: prompt, output: generated).")),
      time_to_first_token_(Histogram(registry, "cascade_inference_time_to_first_token_seconds",
                                     "From arrival (queueing included) to the first token.")),
      time_per_output_token_(Histogram(registry, "cascade_inference_time_per_output_token_seconds",
                                       "Decode time per generated token after the first.")),
      queue_depth_(prometheus::BuildGauge()
                       .Name("cascade_inference_queue_depth")
                       .Help("Requests waiting for their model.")
                       .Register(registry)),
      queue_wait_(Histogram(registry, "cascade_inference_queue_wait_seconds",
                            "From arrival to the start of the request's run.")),
      batch_sequences_(Histogram(registry, "cascade_inference_batch_sequences",
                                 "Sequences served by one forward pass (max_sequences > 1).")),
      kv_cache_usage_(prometheus::BuildGauge()
                          .Name("cascade_inference_kv_cache_usage_ratio")
                          .Help("Share of the KV cache's positions held by running sequences "
                                "(max_sequences > 1), at the last step.")
                          .Register(registry)),
      prefix_reused_tokens_(Counter(registry, "cascade_inference_prefix_reused_tokens_total",
                                    "Prompt tokens found in a cache slot, not recomputed "
                                    "(max_sequences > 1).")),
      rounds_(Counter(registry, "cascade_speculative_rounds_total",
                      "Verification passes that checked at least one draft token.")),
      draft_tokens_(Counter(registry, "cascade_speculative_draft_tokens_total",
                            "Tokens proposed by the drafter.")),
      accepted_tokens_(Counter(registry, "cascade_speculative_accepted_tokens_total",
                               "Proposed tokens the target accepted.")),
      accepted_at_position_(Counter(registry, "cascade_speculative_accepted_at_position_total",
                                    "Rounds whose draft token at this position was accepted.")) {}

void InferenceMetrics::RecordRequest(const std::string& model, const std::string& outcome) {
  requests_.Add({{"model", model}, {"outcome", outcome}}).Increment();
}

void InferenceMetrics::RecordTokens(const std::string& model, int64_t input, int64_t output) {
  tokens_.Add({{"model", model}, {"direction", "input"}}).Increment(static_cast<double>(input));
  tokens_.Add({{"model", model}, {"direction", "output"}}).Increment(static_cast<double>(output));
}

void InferenceMetrics::RecordLatency(const std::string& model, double time_to_first_token,
                                     double time_per_output_token) {
  static const prometheus::Histogram::BucketBoundaries kFirstToken = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  static const prometheus::Histogram::BucketBoundaries kPerToken = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
  time_to_first_token_.Add({{"model", model}}, kFirstToken).Observe(time_to_first_token);
  if (time_per_output_token >= 0) {
    time_per_output_token_.Add({{"model", model}}, kPerToken).Observe(time_per_output_token);
  }
}

void InferenceMetrics::SetQueueDepth(const std::string& model, int depth) {
  queue_depth_.Add({{"model", model}}).Set(depth);
}

void InferenceMetrics::RecordQueueWait(const std::string& model, double seconds) {
  static const prometheus::Histogram::BucketBoundaries kWait = {
      0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  queue_wait_.Add({{"model", model}}, kWait).Observe(seconds);
}

void InferenceMetrics::RecordBatchStep(const std::string& model, const BatchStep& step) {
  static const prometheus::Histogram::BucketBoundaries kSequences = {1, 2, 4, 8, 16, 32, 64, 128};
  batch_sequences_.Add({{"model", model}}, kSequences).Observe(step.sequences);
  kv_cache_usage_.Add({{"model", model}}).Set(step.cache_usage);
  // Added at 0 too, so that the series exists from the first step.
  prefix_reused_tokens_.Add({{"model", model}}).Increment(static_cast<double>(step.reused_tokens));
}

void InferenceMetrics::RecordSpeculation(const std::string& model, const std::string& drafter,
                                         const engine::SpeculationStats& stats) {
  prometheus::Labels labels = {{"model", model}, {"drafter", drafter}};
  rounds_.Add(labels).Increment(static_cast<double>(stats.rounds));
  draft_tokens_.Add(labels).Increment(static_cast<double>(stats.draft_tokens));
  accepted_tokens_.Add(labels).Increment(static_cast<double>(stats.accepted_tokens));
  int positions = std::min<int>(kMaxPositionLabel, stats.accepted_at_position.size());
  for (int i = 0; i < positions; ++i) {
    if (stats.accepted_at_position[i] == 0) continue;
    prometheus::Labels at = labels;
    at["position"] = std::to_string(i + 1);
    accepted_at_position_.Add(at).Increment(static_cast<double>(stats.accepted_at_position[i]));
  }
}

}  // namespace cascade::inference
