#pragma once

// One rung of the cascade as plain C++: checks a request against the tier's limits, holds
// a concurrency slot, asks the backend, prices the answer (integer pico-USD), runs the
// model's self-check when asked, and records metrics and a log line. The gRPC adapter
// (tier_worker_service.h) only translates.

#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/tier.pb.h"
#include "common/concurrency/concurrency_limiter.h"
#include "services/tier_worker/backend.h"
#include "services/tier_worker/price_table.h"
#include "services/tier_worker/request_validation.h"
#include "services/tier_worker/self_check.h"
#include "services/tier_worker/tier_metrics.h"

namespace cascade::tier_worker {

struct TierWorkerOptions {
  std::string tier = "default";
  ModelPrice price;
  RequestLimits limits;
  int max_concurrency = 64;
  SelfCheckOptions self_check;
};

class TierWorker {
 public:
  // `registry` receives the tier's metrics and must outlive the worker.
  TierWorker(TierWorkerOptions options, std::unique_ptr<Backend> backend,
             prometheus::Registry* registry);

  // Without a sink, the whole answer; with one, the answer is streamed there too. The
  // response carries usage, cost_pusd, latency and the tier either way.
  absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context,
      DeltaSink* sink = nullptr);

  cascade::v1::DescribeResponse Describe() const;

  const TierWorkerOptions& options() const { return options_; }

 private:
  absl::StatusOr<cascade::v1::CompleteResponse> CallBackend(
      const cascade::v1::CompleteRequest& request, const CallContext& context, DeltaSink* sink);

  // Runs the request's self-check, when asked, into `response` (its cost included).
  void SelfCheck(const cascade::v1::CompleteRequest& request, const CallContext& context,
                 cascade::v1::CompleteResponse& response);

  TierWorkerOptions options_;
  std::unique_ptr<Backend> backend_;
  SelfChecker self_checker_;
  ConcurrencyLimiter limiter_;
  TierMetrics metrics_;
};

}  // namespace cascade::tier_worker
