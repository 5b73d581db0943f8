#pragma once

// The tier worker's series of the metrics catalogue (docs/architecture.md). It owns spend per
// model: cascade_tier_cost_usd_total counts every call, judge calls included.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "absl/status/status.h"
#include "cascade/v1/common.pb.h"
#include "common/http/retry_policy.h"

namespace cascade::tier_worker {

class TierMetrics {
 public:
  TierMetrics(prometheus::Registry* registry, std::string tier, std::string model);

  // outcome: "ok", or the status code in lower case ("resource_exhausted").
  void RecordOutcome(const absl::Status& status);
  void RecordUsage(const cascade::v1::Usage& usage);
  void RecordCost(int64_t cost_pico_usd);
  void RecordUpstreamSeconds(double seconds);
  void RecordRetry(http::RetryReason reason);
  // A self-check that gave P(yes) (ok) or failed (error).
  void RecordSelfCheck(bool ok);
  prometheus::Gauge& in_flight() { return *in_flight_; }

  static std::string OutcomeLabel(const absl::Status& status);

 private:
  std::string tier_;
  std::string model_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* retries_;
  prometheus::Family<prometheus::Counter>* self_checks_;
  prometheus::Counter* input_tokens_;
  prometheus::Counter* output_tokens_;
  prometheus::Counter* cost_usd_;
  prometheus::Histogram* upstream_seconds_;
  prometheus::Gauge* in_flight_;
};

}  // namespace cascade::tier_worker
