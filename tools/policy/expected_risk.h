#pragma once

// The weaker promise `--guarantee expected` makes: the expected quality loss on a fresh
// query, averaged over the draw of the training queries, is at most the target. Conformal
// risk control (Angelopoulos, Bates, Fisch, Lei and Schuster, "Conformal Risk Control",
// ICLR 2024): for losses in [0, 1] that do not increase along a sequence of candidates fixed
// before these queries were looked at, every candidate whose corrected risk
// (n * mean loss + 1) / (n + 1) is within the target, and every one before it, keeps
// E[loss] <= target. It bounds an expectation, not the chance of a bad draw: a user who
// needs "with probability 1 - delta" needs the betting test (drop_bound.h).
//
// The loss of query i under a candidate is its one-sided drop max(0, d_i) (the top model
// right, the policy's answer not), which bounds the mean drop from above. Along a sequence
// it need not shrink (a lower threshold can move an answer from a wrong tier to a right
// one), so each query's loss is made monotone: its largest over the candidates up to this
// one. That only raises the loss, and the promise on it carries over.

#include <vector>

#include "absl/types/span.h"

namespace cascade::policy {

// Per candidate of a sequence (dearest first; drops[k] holds candidate k's paired drops
// d_i = top model's quality - the candidate's, query by query, all of the same length),
// the corrected risk of the monotone one-sided loss: (sum_i l_i(k) + 1) / (n + 1).
std::vector<double> CorrectedRisks(const std::vector<std::vector<double>>& drops);

// How many candidates from the start of the sequence keep the promise: the length of the
// prefix whose corrected risks are all <= max_drop.
size_t ControlledPrefix(absl::Span<const double> corrected_risks, double max_drop);

}  // namespace cascade::policy
