#pragma once

// Cost arithmetic in integer pico-USD: exact, never rounded.

#include <cstdint>

#include "absl/status/statusor.h"
#include "cascade/v1/common.pb.h"
#include "services/tier_worker/price_table.h"

namespace cascade::tier_worker {

// prompt_tokens * input price + completion_tokens * output price, in pico-USD.
// INVALID_ARGUMENT for negative counts, OUT_OF_RANGE if the product overflows int64.
absl::StatusOr<int64_t> CostPicoUsd(const cascade::v1::Usage& usage, const ModelPrice& price);

// For metrics and displays only; money itself stays an integer.
inline double PicoUsdToUsd(int64_t pico_usd) { return static_cast<double>(pico_usd) / 1e12; }

}  // namespace cascade::tier_worker
