// Turns logits into the next token: greedy, or a draw from the softmax at a temperature,
// restricted to the top-k tokens and then to the top-p nucleus.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "services/inference/engine/rng.h"

namespace cascade::engine {

struct SamplingOptions {
  float temperature = 0.0f;  // 0 is greedy
  int top_k = 0;             // 0 keeps every token
  float top_p = 1.0f;        // 1 keeps every token
  uint64_t seed = 0;

  bool greedy() const { return temperature <= 0.0f; }
  absl::Status Validate() const;
};

// Index of the largest value; the lowest index among equals.
int Argmax(std::span<const float> values);

class Sampler {
 public:
  Sampler(const SamplingOptions& options, int vocab_size);

  const SamplingOptions& options() const { return options_; }
  bool greedy() const { return options_.greedy(); }
  Rng& rng() { return rng_; }

  // The distribution the options define over the next token, as vocab_size probabilities:
  // softmax(logits / temperature) over the top_k most likely tokens, cut to the smallest
  // most-likely set whose mass reaches top_p, renormalised. Greedy puts all mass on the argmax.
  void Distribution(std::span<const float> logits, std::span<double> probs);

  // Draws the next token (greedy needs no distribution: it is the argmax).
  int Sample(std::span<const float> logits);

  // Draws from non-negative weights (they need not sum to one).
  int SampleFrom(std::span<const double> weights);

 private:
  SamplingOptions options_;
  Rng rng_;
  std::vector<int> order_;     // token ids, sorted by logit where truncation needs it
  std::vector<double> probs_;  // scratch for Sample
};

}  // namespace cascade::engine
