// Drafts with a smaller model that shares the target's tokenizer. It keeps its own KV cache
// across rounds and rolls it back to the part of the text the target accepted.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/drafter.h"
#include "services/inference/engine/session.h"

namespace cascade::engine {

class DraftModelDrafter : public Drafter {
 public:
  // Fails (InvalidArgument, naming both models) unless the two vocabularies are identical.
  static absl::StatusOr<std::unique_ptr<DraftModelDrafter>> Create(
      std::shared_ptr<const Model> draft, const Model& target, ThreadPool& pool);

  absl::string_view name() const override { return "draft_model"; }
  // Stop drafting at a token the draft model itself gives less than this probability.
  void set_min_probability(float p) { min_probability_ = p; }
  const Model& model() const { return session_.model(); }
  absl::Status Propose(std::span<const int> context, int max_tokens, Sampler& sampler,
                       DraftProposal& out) override;

 private:
  DraftModelDrafter(std::shared_ptr<const Model> draft, ThreadPool& pool)
      : session_(std::move(draft), pool) {}

  Session session_;
  float min_probability_ = 0.0f;
  std::vector<int> cached_;  // the tokens in session_'s KV cache
};

// OK when `draft` can draft for `target`: same vocabulary, token for token.
absl::Status CheckSameVocabulary(const Model& draft, const Model& target);

}  // namespace cascade::engine
