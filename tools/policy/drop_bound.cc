#include "tools/policy/drop_bound.h"

#include <algorithm>
#include <cmath>

namespace cascade::policy {

double DropPValue(absl::Span<const double> drops, double max_drop, double delta) {
  // On y = (d + 1) / 2 in [0, 1] the hypothesis is mean(y) >= m.
  const double m = (max_drop + 1) / 2;
  // The bet stays below 1 / (1 - m), so a query with y = 1 never takes all the capital.
  const double max_bet = 0.75 / (1 - m);
  double capital = 1;
  double best = 1;
  // Running mean and variance with a prior of one observation at 1/2 (variance 1/4), as the
  // predictable plug-in bet of the paper.
  double sum = 0.5;
  double squares = 0.25;
  for (size_t i = 1; i <= drops.size(); ++i) {
    const double y = (drops[i - 1] + 1) / 2;
    const double variance = squares / static_cast<double>(i);
    const double bet = std::min(
        std::sqrt(2 * std::log(1 / delta) /
                  (variance * static_cast<double>(i) * std::log(1.0 + static_cast<double>(i)))),
        max_bet);
    capital *= 1 - bet * (y - m);
    best = std::max(best, capital);
    sum += y;
    const double mean = sum / static_cast<double>(i + 1);
    squares += (y - mean) * (y - mean);
  }
  return std::min(1.0, 1 / best);
}

double DropUpperBound(absl::Span<const double> drops, double delta) {
  // The p-value falls as max_drop rises (the hypothesis gets harder to hold): bisect.
  double low = -1;
  double high = 1;
  if (DropPValue(drops, 1 - 1e-9, delta) > delta) return 1;
  while (high - low > 1e-4) {
    const double mid = (low + high) / 2;
    if (DropPValue(drops, mid, delta) <= delta) {
      high = mid;
    } else {
      low = mid;
    }
  }
  return high;
}

}  // namespace cascade::policy
