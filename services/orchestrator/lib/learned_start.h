#pragma once

// Where a climb starts under `start: learned`: at the tier that makes the climb's expected
// cost lowest, given each tier's estimated chance of ending the climb (an accepted answer)
// and the expected cost of trying it. From the top down:
//
//   E[last] = c[last],   E[i] = c[i] + (1 - p[i]) * E[i + 1]
//
// and the climb starts at the cheapest-first i with the smallest E[i]. A tier below it is
// skipped because trying it costs more, on average, than the failures it would spare: with
// two tiers, small is skipped when c[small] > p[small] * c[large]. Skipping only ever moves
// the start up, so the answer comes from a tier at least as strong as without it.

#include <vector>

#include "absl/types/span.h"

namespace cascade::orchestrator {

struct LearnedStartChoice {
  int first = 0;                    // Index of the starting tier.
  double expected_cost_pusd = 0.0;  // E[first].
};

// `success[i]` in [0, 1] and `cost_pusd[i]` >= 0 for the plan's tiers `first`..`last`
// (indices into both spans). Ties go to the cheaper (lower) tier.
LearnedStartChoice ChooseLearnedStart(absl::Span<const double> success,
                                      absl::Span<const double> cost_pusd, int first, int last);

}  // namespace cascade::orchestrator
