// Speculative decoding: a drafter proposes k tokens, the target model checks all of them in one
// batched pass, and the output follows exactly the target's distribution.
//
// The rule (Leviathan et al. 2023; Chen et al. 2023): draft token d, drawn from the drafter's
// q, is accepted with probability min(1, p(d) / q(d)), where p is the target's distribution at
// that position. On rejection the token is drawn from max(0, p - q), normalised, and the round
// ends. If all k are accepted, a bonus token is drawn from the target's next distribution.
// Summed over both paths, every token comes out with probability exactly p: the test
// tests/unit/inference/speculative_rule_test.cc enumerates it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "services/inference/engine/drafter.h"
#include "services/inference/engine/forward_pass.h"
#include "services/inference/engine/sampler.h"

namespace cascade::engine {

struct SpeculationStats {
  int64_t rounds = 0;           // verification passes that checked at least one draft token
  int64_t draft_tokens = 0;     // tokens proposed
  int64_t accepted_tokens = 0;  // proposed tokens the target accepted
  // accepted_at_position[i]: rounds whose draft token i + 1 was accepted.
  std::vector<int64_t> accepted_at_position;

  double acceptance_rate() const {
    return draft_tokens == 0 ? 0.0 : static_cast<double>(accepted_tokens) / draft_tokens;
  }
  // Tokens produced per target pass: the accepted drafts plus the target's own token.
  double mean_accepted_length() const {
    return rounds == 0 ? 0.0 : static_cast<double>(accepted_tokens) / rounds + 1.0;
  }
};

// min(1, p(draft) / q(draft)). An empty q means a deterministic drafter: q(draft) = 1.
double AcceptProbability(std::span<const double> p, std::span<const double> q, int draft);

// max(0, p - q), normalised to sum to one (an empty q is all mass on `draft`). If p and q agree
// exactly there is nothing left over, rejection cannot happen, and p itself is returned.
void ResidualDistribution(std::span<const double> p, std::span<const double> q, int draft,
                          std::span<double> out);

// Scratch space for DecodeStep, kept between steps so decoding allocates nothing.
struct DecodeScratch {
  DraftProposal draft;
  std::vector<int> batch;
  std::vector<double> p;         // target distribution at one position
  std::vector<double> residual;  // where a rejected position samples from
};

// One decoding step, in the three parts below. `sequence` is the text so far; the target's
// cache holds all of it but the last token. Drafts up to `max_draft` tokens (none without a
// drafter), runs the last token and the drafts through the target in one pass, and appends the
// tokens it settles on (1 to max_draft + 1) to `emitted`. Target logits row i of `target`
// belongs to emitted token i. Afterwards the cache again holds all but the last emitted token.
absl::Status DecodeStep(ForwardPass& target, Drafter* drafter, int max_draft, Sampler& sampler,
                        std::span<const int> sequence, DecodeScratch& scratch,
                        std::vector<int>& emitted, SpeculationStats& stats);

// Part 1: up to `max_draft` tokens to follow `sequence`, into scratch.draft (none without a
// drafter or with max_draft 0).
absl::Status ProposeDrafts(Drafter* drafter, int max_draft, Sampler& sampler,
                           std::span<const int> sequence, DecodeScratch& scratch);

// Part 2 is the caller's: one pass of the last token and the k drafts, computing the logits
// after each of them (row i predicts the position of draft i; row k the token after all).

// Part 3: accepts scratch.draft's tokens left to right against those rows, replaces the first
// rejected one by a target token (or adds a bonus token after all k), appends what it settles
// on to `emitted` and counts the round in `stats`. Returns how many drafts were accepted: the
// caller keeps the last token and those in the cache, and rolls back the rest.
int AcceptDrafts(const LogitRows& target, Sampler& sampler, DecodeScratch& scratch,
                 std::vector<int>& emitted, SpeculationStats& stats);

}  // namespace cascade::engine
