// Whether speculative decoding pays for a model on this machine, decided from measured costs.
//
// Speculation replaces one target step per token by one verification pass per round (the last
// token and k drafts) plus the drafter's own work. It pays where verifying k + 1 tokens costs
// about one step: a memory-bound pass, whose time is reading the weights (large models, GPUs).
// It loses where the pass is compute-bound: a small model on a CPU verifies 5 tokens in about
// 5 steps' time, and the bundled 3M bard pair runs at half the target's speed with its draft.
//
// In step units, a round that proposes k tokens costs r = verify(k + 1) / step(1) for the
// verification and k * c for a draft model (c = a draft step / a target step), and yields
// (1 - a^(k+1)) / (1 - a) tokens when each draft token is accepted with probability a
// (Leviathan et al. 2023). The n-gram drafter proposes only when the context repeats, and then
// costs r - 1 steps more than a plain step.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/engine.h"

namespace cascade::engine {

struct PassCosts {
  int draft_tokens = 0;       // k
  double step_seconds = 0;    // one token through the model
  double verify_seconds = 0;  // k + 1 tokens in one pass
  double verify_ratio() const { return verify_seconds / step_seconds; }  // r
};

// Times forward passes of 1 and of k + 1 tokens of `model` on `device` with `threads` CPU
// threads: the median of `repeats` runs each, after one warm-up run.
absl::StatusOr<PassCosts> MeasurePassCosts(std::shared_ptr<const Model> model, Device device,
                                           int threads, int draft_tokens, int repeats = 5);

// The draft model is chosen when it breaks even at a per-token acceptance of at most this:
// drafts that agree with the target less than half the time rarely make a pair worth it.
inline constexpr double kMaxBreakEvenAcceptance = 0.5;
// The n-gram drafter is chosen when verifying k + 1 tokens costs at most this many steps.
inline constexpr double kMaxNgramVerifyRatio = 1.5;

struct SpeculationChoice {
  SpeculationOptions::Mode mode = SpeculationOptions::Mode::kNone;
  double verify_ratio = 0;  // r
  double draft_ratio = 0;   // c (with a draft model)
  // The per-token acceptance at which the draft model breaks even; above 1 when it never does.
  double break_even_acceptance = 0;
  std::string reason;  // for the log line
};

// The expected speedup over the target alone of drafting k tokens per round.
double ExpectedSpeedup(double acceptance, int k, double draft_ratio, double verify_ratio);

// DRAFT_MODEL when `draft` is given and breaks even at an acceptance of at most
// kMaxBreakEvenAcceptance; otherwise NGRAM when r <= kMaxNgramVerifyRatio; otherwise NONE.
SpeculationChoice ChooseSpeculation(const PassCosts& target, const PassCosts* draft);

// In a batch (ContinuousBatcher) the drafts of every sequence share one pass with the other
// sequences' tokens, so what matters is how a pass's cost grows with its tokens: drafts pay
// while the whole step stays memory-bound, costing about one token's pass.
struct PassCurve {
  std::vector<int> tokens;      // 1, 2, 4, ... up to Transformer::kMaxBatch (or the context)
  std::vector<double> seconds;  // one pass of that many tokens from an empty cache
};

// The CPU pass's curve: the median of `repeats` runs per point, after one warm-up run.
absl::StatusOr<PassCurve> MeasurePassCurve(std::shared_ptr<const Model> model, int threads,
                                           int repeats = 5);

struct BatchSpeculationChoice {
  SpeculationOptions::Mode mode = SpeculationOptions::Mode::kNone;
  // The most tokens a pass can hold for at most kMaxNgramVerifyRatio times one token's cost
  // (interpolated between the measured points): BatcherOptions.draft_step_tokens.
  int draft_step_tokens = 0;
  std::string reason;  // for the log line
};

// NGRAM when a step has room for one token and at least one draft (draft_step_tokens >= 2: a
// sequence drafts at most what the room leaves, fewer than max_draft_tokens where it is
// small); otherwise NONE. For one sequence and a room of k + 1 tokens this is
// ChooseSpeculation's n-gram rule.
BatchSpeculationChoice ChooseBatchSpeculation(const PassCurve& curve);

}  // namespace cascade::engine
