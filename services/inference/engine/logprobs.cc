#include "services/inference/engine/logprobs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cascade::engine {

TokenLogprob LogprobCalculator::Compute(std::span<const float> logits, int token, int top_n) {
  // log p(i) = logit(i) - log(sum_j exp(logit(j))), shifted by the max for stability.
  const double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float logit : logits) sum += std::exp(logit - max_logit);
  const double log_normalizer = max_logit + std::log(sum);

  TokenLogprob result;
  result.token = token;
  result.logprob = static_cast<float>(logits[token] - log_normalizer);
  top_n = std::min<int>(top_n, static_cast<int>(logits.size()));
  if (top_n > 0) {
    std::iota(order_.begin(), order_.end(), 0);
    std::partial_sort(order_.begin(), order_.begin() + top_n, order_.end(), [&](int a, int b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (int i = 0; i < top_n; ++i) {
      result.top.push_back({order_[i], static_cast<float>(logits[order_[i]] - log_normalizer)});
    }
  }
  return result;
}

}  // namespace cascade::engine
