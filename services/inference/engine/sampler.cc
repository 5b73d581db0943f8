#include "services/inference/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace cascade::engine {

absl::Status SamplingOptions::Validate() const {
  if (!(temperature >= 0.0f) || temperature > 100.0f) {
    return absl::InvalidArgumentError(
        absl::StrCat("temperature must be between 0 and 100, got ", temperature));
  }
  if (top_k < 0) return absl::InvalidArgumentError(absl::StrCat("top_k must be >= 0, got ", top_k));
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("top_p must be in (0, 1], got ", top_p));
  }
  return absl::OkStatus();
}

int Argmax(std::span<const float> values) {
  return static_cast<int>(std::max_element(values.begin(), values.end()) - values.begin());
}

Sampler::Sampler(const SamplingOptions& options, int vocab_size)
    : options_(options), rng_(options.seed), order_(vocab_size), probs_(vocab_size) {}

void Sampler::Distribution(std::span<const float> logits, std::span<double> probs) {
  std::fill(probs.begin(), probs.end(), 0.0);
  if (greedy()) {
    probs[Argmax(logits)] = 1.0;
    return;
  }
  const int vocab = static_cast<int>(logits.size());
  // Candidates, most likely first when a cut needs the order.
  int candidates = vocab;
  std::iota(order_.begin(), order_.end(), 0);
  auto by_logit = [&](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  if (options_.top_k > 0 && options_.top_k < vocab) {
    candidates = options_.top_k;
    std::partial_sort(order_.begin(), order_.begin() + candidates, order_.end(), by_logit);
  } else if (options_.top_p < 1.0f) {
    std::sort(order_.begin(), order_.end(), by_logit);
  }
  double max_logit = logits[order_[0]];
  for (int i = 0; i < candidates; ++i) max_logit = std::max(max_logit, double{logits[order_[i]]});
  double total = 0;
  for (int i = 0; i < candidates; ++i) {
    const int id = order_[i];
    probs[id] = std::exp((logits[id] - max_logit) / options_.temperature);
    total += probs[id];
  }
  if (options_.top_p < 1.0f) {
    // Keep the shortest prefix (in likelihood order) holding top_p of the mass.
    double kept = 0;
    int keep = 0;
    while (keep < candidates && kept < options_.top_p * total) kept += probs[order_[keep++]];
    for (int i = keep; i < candidates; ++i) probs[order_[i]] = 0.0;
    total = kept;
  }
  for (int i = 0; i < candidates; ++i) probs[order_[i]] /= total;
}

int Sampler::Sample(std::span<const float> logits) {
  if (greedy()) return Argmax(logits);
  Distribution(logits, probs_);
  return SampleFrom(probs_);
}

int Sampler::SampleFrom(std::span<const double> weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double target = rng_.Uniform() * total;
  int last_possible = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last_possible = static_cast<int>(i);
    if (target < weights[i]) return last_possible;
    target -= weights[i];
  }
  return last_possible;  // rounding left a sliver past the end
}

}  // namespace cascade::engine
