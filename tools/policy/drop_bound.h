#pragma once

// How sure a sample of paired quality differences makes us that a policy's mean quality
// drop is below a target. Each d_i = quality of the top model - quality of the policy on
// query i, in [-1, 1]; most are 0 (both right or both wrong), so a bound that adapts to the
// variance is far tighter than one that only knows the range.
//
// The test is by betting (Waudby-Smith and Ramdas, "Estimating means of bounded random
// variables by betting", JRSS-B 2023): against the hypothesis that the mean drop is at
// least `max_drop`, a gambler who bets a predictable fraction on each query that the drop
// is smaller grows their capital only when it is; by Ville's inequality the chance that the
// capital ever reaches 1/delta under the hypothesis is at most delta. The p-value is
// 1 / (the capital's maximum). It is valid for any sample size, with no normal
// approximation, assuming only that the queries are drawn independently from the same
// distribution; the order they are bet on must not depend on their outcomes.

#include "absl/types/span.h"

namespace cascade::policy {

// The p-value of "the mean drop is >= max_drop" (max_drop in (-1, 1)); small values are
// evidence that the drop is below it. `delta` tunes the bets (the level the test will be
// used at); the p-value is valid whatever it is.
double DropPValue(absl::Span<const double> drops, double max_drop, double delta);

// The smallest max_drop the sample rejects at level delta (to 1e-4): an upper confidence
// bound on the mean drop at confidence 1 - delta. 1 when even that cannot be rejected.
double DropUpperBound(absl::Span<const double> drops, double delta);

}  // namespace cascade::policy
