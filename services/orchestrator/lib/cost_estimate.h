#pragma once

// What a tier is expected to cost before it is called (for the budget), and what the top
// tier alone would have cost for an answer (the baseline every saving is measured against).
// Integer pico-USD throughout: a price in micro-USD per million tokens is pico-USD per token.

#include <cstdint>

#include "cascade/v1/cascade.pb.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

// Output tokens assumed for the budget when the request sets no max_tokens.
inline constexpr int64_t kAssumedMaxTokens = 256;

// Prompt bytes / 4 tokens at the input price, plus max_tokens (or kAssumedMaxTokens) at the
// output price: an upper estimate that needs no tokenizer.
int64_t ExpectedCostPusd(const v1::CascadeRequest& request, const TierPrice& price);

// The answer's usage at the top tier's prices.
int64_t TopTierCostPusd(const v1::Usage& usage, const TierPrice& top_price);

}  // namespace cascade::orchestrator
