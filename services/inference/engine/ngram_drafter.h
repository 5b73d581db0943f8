// Prompt lookup: guesses that the text will repeat itself. It finds the latest earlier place
// where the last n tokens occurred and proposes the tokens that followed them there. No model
// runs, so a draft costs nothing; it pays off on text that loops or quotes its prompt.
#pragma once

#include "services/inference/engine/drafter.h"

namespace cascade::engine {

class NgramDrafter : public Drafter {
 public:
  // Tries n-grams of `ngram_size` tokens first, then shorter ones down to one token.
  explicit NgramDrafter(int ngram_size) : ngram_size_(ngram_size) {}

  absl::string_view name() const override { return "ngram"; }
  absl::Status Propose(std::span<const int> context, int max_tokens, Sampler& sampler,
                       DraftProposal& out) override;

 private:
  int ngram_size_;
};

}  // namespace cascade::engine
