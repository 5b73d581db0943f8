#include "tools/policy/expected_risk.h"

#include <algorithm>

namespace cascade::policy {

std::vector<double> CorrectedRisks(const std::vector<std::vector<double>>& drops) {
  std::vector<double> risks;
  if (drops.empty()) return risks;
  std::vector<double> monotone(drops.front().size(), 0);
  for (const std::vector<double>& candidate : drops) {
    double sum = 0;
    for (size_t i = 0; i < monotone.size(); ++i) {
      const double loss = std::clamp(candidate[i], 0.0, 1.0);
      monotone[i] = std::max(monotone[i], loss);
      sum += monotone[i];
    }
    risks.push_back((sum + 1) / (static_cast<double>(monotone.size()) + 1));
  }
  return risks;
}

size_t ControlledPrefix(absl::Span<const double> corrected_risks, double max_drop) {
  size_t prefix = 0;
  while (prefix < corrected_risks.size() && corrected_risks[prefix] <= max_drop) ++prefix;
  return prefix;
}

}  // namespace cascade::policy
