#include "services/tier_worker/cost.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::tier_worker {

absl::StatusOr<int64_t> CostPicoUsd(const cascade::v1::Usage& usage, const ModelPrice& price) {
  if (usage.prompt_tokens() < 0 || usage.completion_tokens() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative token count: prompt ",
                                                   usage.prompt_tokens(), ", completion ",
                                                   usage.completion_tokens()));
  }
  int64_t input_cost = 0;
  int64_t output_cost = 0;
  int64_t total = 0;
  if (__builtin_mul_overflow(usage.prompt_tokens(), price.input_uusd_per_mtok, &input_cost) ||
      __builtin_mul_overflow(usage.completion_tokens(), price.output_uusd_per_mtok, &output_cost) ||
      __builtin_add_overflow(input_cost, output_cost, &total)) {
    return absl::OutOfRangeError("cost overflows int64 pico-USD");
  }
  return total;
}

}  // namespace cascade::tier_worker
