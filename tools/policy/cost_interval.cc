#include "tools/policy/cost_interval.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace cascade::policy {

CostInterval BootstrapCostInterval(absl::Span<const QueryCost> costs, double confidence,
                                   uint64_t seed, int resamples) {
  if (costs.empty() || resamples <= 0) return {};
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<size_t> pick(0, costs.size() - 1);
  std::vector<double> ratios;
  ratios.reserve(resamples);
  for (int r = 0; r < resamples; ++r) {
    int64_t paid = 0;
    int64_t top = 0;
    for (size_t i = 0; i < costs.size(); ++i) {
      const QueryCost& cost = costs[pick(random)];
      paid += cost.policy_pusd;
      top += cost.top_pusd;
    }
    ratios.push_back(top > 0 ? static_cast<double>(paid) / static_cast<double>(top) : 0);
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    const auto index = static_cast<size_t>(std::floor(q * static_cast<double>(ratios.size() - 1)));
    return ratios[std::min(index, ratios.size() - 1)];
  };
  return {at(tail), at(1 - tail)};
}

}  // namespace cascade::policy
