#include "services/tier_worker/tier_metrics.h"

#include "absl/strings/ascii.h"
#include "services/tier_worker/cost.h"

namespace cascade::tier_worker {

TierMetrics::TierMetrics(prometheus::Registry* registry, std::string tier, std::string model)
    : tier_(std::move(tier)), model_(std::move(model)) {
  const std::map<std::string, std::string> labels = {{"tier", tier_}, {"model", model_}};
  requests_ = &prometheus::BuildCounter()
                   .Name("cascade_tier_requests_total")
                   .Help("Tier worker calls by outcome (ok or the gRPC code in lower case).")
                   .Register(*registry);
  retries_ = &prometheus::BuildCounter()
                  .Name("cascade_tier_retries_total")
                  .Help("Upstream attempts retried, by reason.")
                  .Register(*registry);
  self_checks_ = &prometheus::BuildCounter()
                      .Name("cascade_tier_self_checks_total")
                      .Help(
                          "Self-checks run, by outcome (ok, or error: the answer went back "
                          "without one).")
                      .Register(*registry);
  auto& tokens = prometheus::BuildCounter()
                     .Name("cascade_tier_tokens_total")
                     .Help("Tokens billed by the upstream, by direction (input, output).")
                     .Register(*registry);
  input_tokens_ = &tokens.Add({{"tier", tier_}, {"model", model_}, {"direction", "input"}});
  output_tokens_ = &tokens.Add({{"tier", tier_}, {"model", model_}, {"direction", "output"}});
  cost_usd_ = &prometheus::BuildCounter()
                   .Name("cascade_tier_cost_usd_total")
                   .Help("What calls to this model cost, in USD (spend per model).")
                   .Register(*registry)
                   .Add(labels);
  upstream_seconds_ =
      &prometheus::BuildHistogram()
           .Name("cascade_tier_upstream_duration_seconds")
           .Help("Time spent on the upstream per call, retries and backoff included.")
           .Register(*registry)
           .Add(labels, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                                                30, 60, 120});
  in_flight_ = &prometheus::BuildGauge()
                    .Name("cascade_tier_in_flight")
                    .Help("Calls in progress.")
                    .Register(*registry)
                    .Add(labels);
}

std::string TierMetrics::OutcomeLabel(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

void TierMetrics::RecordOutcome(const absl::Status& status) {
  requests_->Add({{"tier", tier_}, {"model", model_}, {"outcome", OutcomeLabel(status)}})
      .Increment();
}

void TierMetrics::RecordUsage(const cascade::v1::Usage& usage) {
  input_tokens_->Increment(static_cast<double>(usage.prompt_tokens()));
  output_tokens_->Increment(static_cast<double>(usage.completion_tokens()));
}

void TierMetrics::RecordCost(int64_t cost_pico_usd) {
  cost_usd_->Increment(PicoUsdToUsd(cost_pico_usd));
}

void TierMetrics::RecordUpstreamSeconds(double seconds) { upstream_seconds_->Observe(seconds); }

void TierMetrics::RecordRetry(http::RetryReason reason) {
  retries_
      ->Add({{"tier", tier_},
             {"model", model_},
             {"reason", std::string(http::RetryReasonLabel(reason))}})
      .Increment();
}

void TierMetrics::RecordSelfCheck(bool ok) {
  self_checks_->Add({{"tier", tier_}, {"model", model_}, {"outcome", ok ? "ok" : "error"}})
      .Increment();
}

}  // namespace cascade::tier_worker
