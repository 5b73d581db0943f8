#include "services/orchestrator/lib/cost_estimate.h"

namespace cascade::orchestrator {

int64_t ExpectedCostPusd(const v1::CascadeRequest& request, const TierPrice& price) {
  int64_t prompt_bytes = 0;
  for (const auto& message : request.messages()) prompt_bytes += message.content().size();
  const int64_t prompt_tokens = (prompt_bytes + 3) / 4;
  const int64_t output_tokens =
      request.params().max_tokens() > 0 ? request.params().max_tokens() : kAssumedMaxTokens;
  return prompt_tokens * price.input_uusd_per_mtok + output_tokens * price.output_uusd_per_mtok;
}

int64_t TopTierCostPusd(const v1::Usage& usage, const TierPrice& top_price) {
  return usage.prompt_tokens() * top_price.input_uusd_per_mtok +
         usage.completion_tokens() * top_price.output_uusd_per_mtok;
}

}  // namespace cascade::orchestrator
