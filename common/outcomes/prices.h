#pragma once

// Prices per model for outcomes (the shape of a tier's `price`, one entry per model):
//   llama3.2-1b: {input_usd_per_mtok: 0.10, output_usd_per_mtok: 0.10}
// held as integer micro-USD per million tokens (pico-USD per token), so costs are exact.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/common.pb.h"

namespace cascade::outcomes {

struct ModelPrice {
  int64_t input_uusd_per_mtok = 0;
  int64_t output_uusd_per_mtok = 0;

  // The usage's exact cost in pico-USD.
  int64_t CostPusd(const v1::Usage& usage) const {
    return usage.prompt_tokens() * input_uusd_per_mtok +
           usage.completion_tokens() * output_uusd_per_mtok;
  }
};

// INVALID_ARGUMENT naming the file, line and model for a bad entry (both prices required,
// numbers in [0, 1000000] with at most 6 decimals); NOT_FOUND for a missing file.
absl::StatusOr<std::map<std::string, ModelPrice>> ReadPricesFile(const std::string& path);

}  // namespace cascade::outcomes
