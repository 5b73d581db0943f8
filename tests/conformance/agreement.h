// The conformance rules (docs/testing.md), as a check of our engine's answers against a reference's
// (llama.cpp's, from llama_cpp_reference.h) on the same model file:
//
// - Tokenization: our ids for each prompt are the reference's (with BOS where the model adds it).
//   Both engines then run BOS + prompt, as the reference script feeds llama.cpp.
// - Greedy: at every position our argmax, teacher-forced on the reference's tokens, is the
//   reference's token, unless both engines see a near-tie there (top two logprobs closer than
//   `near_tie`). Engine::Generate's own greedy output is the reference's up to the first
//   divergence, and our teacher-forced choice there.
// - Logprobs: for each token in the reference's top list at every position, our logprob is
//   within `tolerance` of the reference's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/model.h"
#include "tests/conformance/llama_cpp_reference.h"

namespace cascade::conformance {

struct Differences {
  double max = 0;
  double sum = 0;
  int count = 0;
  void Add(double difference);
  double mean() const { return count == 0 ? 0 : sum / count; }
};

struct AgreementReport {
  int positions = 0;
  int agreed = 0;       // our teacher-forced argmax is the reference's token
  int divergences = 0;  // positions where it is not (allowed at near-ties only)
  Differences logprobs;
  std::vector<std::string> violations;  // each broken rule, naming the prompt and position
};

absl::StatusOr<AgreementReport> CompareWithReference(std::shared_ptr<const engine::Model> model,
                                                     const ReferenceModel& reference,
                                                     double tolerance, double near_tie = 1e-3);

// Our logits teacher-forced on `tokens`: row i is what follows BOS + prompt + tokens[0..i-1].
absl::StatusOr<std::vector<std::vector<float>>> TeacherForcedLogits(
    std::shared_ptr<const engine::Model> model, int bos, const std::vector<int>& prompt_ids,
    const std::vector<int>& tokens);

// Our greedy continuation through the request API (KV cache, one token at a time).
absl::StatusOr<std::vector<int>> GreedyTokens(std::shared_ptr<const engine::Model> model,
                                              const std::vector<int>& prompt, int max_tokens);

// A reference made by our own engine, in the reference's shape: to test the check itself.
absl::StatusOr<ReferenceModel> OwnReference(std::shared_ptr<const engine::Model> model,
                                            const std::vector<std::string>& prompts, int tokens,
                                            int top);

}  // namespace cascade::conformance
