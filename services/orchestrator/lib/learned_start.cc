#include "services/orchestrator/lib/learned_start.h"

namespace cascade::orchestrator {

LearnedStartChoice ChooseLearnedStart(absl::Span<const double> success,
                                      absl::Span<const double> cost_pusd, int first, int last) {
  LearnedStartChoice best{last, cost_pusd[last]};
  double expected_from_above = cost_pusd[last];
  for (int i = last - 1; i >= first; --i) {
    const double expected = cost_pusd[i] + (1.0 - success[i]) * expected_from_above;
    if (expected <= best.expected_cost_pusd) best = {i, expected};
    expected_from_above = expected;
  }
  return best;
}

}  // namespace cascade::orchestrator
