// A drafter guesses the next few tokens cheaply, for the target model to check in one pass.
#pragma once

#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/sampler.h"

namespace cascade::engine {

struct DraftProposal {
  std::vector<int> tokens;
  // Row i (vocab_size values) is the distribution q that tokens[i] was drawn from. Empty when
  // the drafter is deterministic: q then puts all its mass on tokens[i].
  std::vector<double> q;
  int vocab_size = 0;

  bool deterministic() const { return q.empty(); }
  std::span<const double> q_row(int i) const {
    return {q.data() + static_cast<size_t>(i) * vocab_size, static_cast<size_t>(vocab_size)};
  }
  void Clear() {
    tokens.clear();
    q.clear();
  }
};

class Drafter {
 public:
  virtual ~Drafter() = default;
  // A label for statistics and metrics: "draft_model" or "ngram".
  virtual absl::string_view name() const = 0;
  // Proposes up to `max_tokens` tokens to follow `context` (the prompt and everything generated
  // so far). Sampling drafters draw with `sampler`, which holds the request's options and
  // random generator. Fewer tokens, even none, are fine.
  virtual absl::Status Propose(std::span<const int> context, int max_tokens, Sampler& sampler,
                               DraftProposal& out) = 0;
};

}  // namespace cascade::engine
