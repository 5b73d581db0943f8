#include "services/router/lib/blended_scorer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cascade::router {

std::string BlendedScorer::name() const {
  std::string name = "blend(";
  for (size_t i = 0; i < parts_.size(); ++i) {
    absl::StrAppend(&name, i == 0 ? "" : " + ", parts_[i].weight, "*", parts_[i].scorer->name());
  }
  return name + ")";
}

void BlendedScorer::Score(const ScoringQuery& query, absl::Span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  std::vector<float> part_scores(scores.size());
  for (const Part& part : parts_) {
    part.scorer->Score(query, absl::MakeSpan(part_scores));
    const auto weight = static_cast<float>(part.weight);
    for (size_t r = 0; r < scores.size(); ++r) scores[r] += weight * part_scores[r];
  }
}

}  // namespace cascade::router
