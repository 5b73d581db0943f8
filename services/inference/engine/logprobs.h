// Token log-probabilities as an API reports them: the natural-log softmax of the model's raw
// logits (before temperature, top-k or top-p), for the chosen token and the most likely ones.
#pragma once

#include <span>
#include <vector>

namespace cascade::engine {

struct TopLogprob {
  int token = 0;
  float logprob = 0;
};

struct TokenLogprob {
  int token = 0;
  float logprob = 0;
  std::vector<TopLogprob> top;  // most likely first
};

class LogprobCalculator {
 public:
  explicit LogprobCalculator(int vocab_size) : order_(vocab_size) {}
  TokenLogprob Compute(std::span<const float> logits, int token, int top_n);

 private:
  std::vector<int> order_;
};

}  // namespace cascade::engine
