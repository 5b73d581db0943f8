#pragma once

// From a cascade.v1.TierWorkerConfig to a running TierWorker: defaults filled in, every
// value checked, the price resolved (config `price`, else the price table; neither is an
// error, never a silent zero), the API key read from its environment variable. Errors
// are FAILED_PRECONDITION naming the field, so the server exits 78 with them.

#include <prometheus/registry.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/config.pb.h"
#include "common/http/retry_policy.h"
#include "services/tier_worker/price_table.h"
#include "services/tier_worker/request_validation.h"
#include "services/tier_worker/tier_worker.h"

namespace cascade::tier_worker {

absl::StatusOr<http::RetryOptions> RetryOptionsFromConfig(const cascade::v1::RetryConfig& config);
absl::StatusOr<RequestLimits> RequestLimitsFromConfig(
    const cascade::v1::RequestLimitsConfig& config);

// The configured model's price: config.price when given (both fields required), else
// `table`'s entry for the model.
absl::StatusOr<ModelPrice> ResolvePrice(const cascade::v1::TierWorkerConfig& config,
                                        const PriceTable& table);

// The model the config names (openai.model or inference.model); empty without a backend.
std::string ConfiguredModel(const cascade::v1::TierWorkerConfig& config);

// Upstream timeout of a call whose caller set no deadline.
absl::Duration DefaultTimeout(const cascade::v1::TierWorkerConfig& config);

// Everything above, plus the backend. The config must name a backend.
absl::StatusOr<std::unique_ptr<TierWorker>> BuildTierWorker(
    const cascade::v1::TierWorkerConfig& config, prometheus::Registry* registry);

}  // namespace cascade::tier_worker
