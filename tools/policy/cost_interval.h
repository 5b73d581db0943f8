#pragma once

// An interval for a policy's cost relative to the top model alone: sum of what the policy
// paid over sum of what the top model would have paid, on a sample of queries. A ratio of
// sums has no exact finite-sample bound as the quality drop has (its terms are not bounded
// in a known range), so this is a percentile bootstrap: approximate, stated as such, and
// seeded so a fit is reproducible.

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace cascade::policy {

struct QueryCost {
  int64_t policy_pusd = 0;
  int64_t top_pusd = 0;
};

struct CostInterval {
  double low = 0;
  double high = 0;
};

// The central `confidence` interval of the cost ratio over `resamples` bootstrap draws of
// `costs`. A sample with no top-model cost gives [0, 0].
CostInterval BootstrapCostInterval(absl::Span<const QueryCost> costs, double confidence,
                                   uint64_t seed, int resamples = 2000);

}  // namespace cascade::policy
