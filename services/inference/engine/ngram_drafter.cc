#include "services/inference/engine/ngram_drafter.h"

#include <algorithm>

namespace cascade::engine {

absl::Status NgramDrafter::Propose(std::span<const int> context, int max_tokens, Sampler&,
                                   DraftProposal& out) {
  out.Clear();
  const int length = static_cast<int>(context.size());
  for (int n = std::min(ngram_size_, length - 1); n >= 1; --n) {
    const auto suffix = context.subspan(length - n);
    // Latest earlier occurrence first: recent text is the best predictor.
    for (int start = length - n - 1; start >= 0; --start) {
      if (!std::equal(suffix.begin(), suffix.end(), context.begin() + start)) continue;
      const int follow = start + n;  // first token after the match; always < length
      const int count = std::min(max_tokens, length - follow);
      out.tokens.assign(context.begin() + follow, context.begin() + follow + count);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade::engine
