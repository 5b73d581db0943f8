#include "services/router/lib/knn_vote_scorer.h"

#include <algorithm>
#include <cmath>

namespace cascade::router {

std::string KnnVoteScorer::name() const {
  switch (mode_) {
    case VoteMode::kMax:
      return "knn-max";
    case VoteMode::kMean:
      return "knn-mean";
    case VoteMode::kSum:
      return "knn-sum";
  }
  return "knn";
}

void KnnVoteScorer::Score(const ScoringQuery& query, absl::Span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  if (query.neighbors.empty()) return;
  if (mode_ != VoteMode::kSum) {
    // Below every route with a neighbour: their max and mean are >= the least similar
    // neighbour's similarity (see the header).
    float least = query.neighbors.front().similarity;
    for (const Neighbor& neighbor : query.neighbors) least = std::min(least, neighbor.similarity);
    const float no_evidence = least > 0.0f ? 0.0f : std::nextafter(least, -1.0f);
    std::fill(scores.begin(), scores.end(), no_evidence);
  }
  if (mode_ == VoteMode::kMax) {
    for (const Neighbor& neighbor : query.neighbors) {
      float& score = scores[exemplar_routes_[neighbor.exemplar]];
      score = std::max(score, neighbor.similarity);
    }
    return;
  }
  // Sum and mean both need per-route sums; mean also the counts.
  std::vector<std::pair<int, int>> touched;  // (route, neighbours), few entries.
  for (const Neighbor& neighbor : query.neighbors) {
    const int route = exemplar_routes_[neighbor.exemplar];
    auto it = std::find_if(touched.begin(), touched.end(),
                           [&](const auto& entry) { return entry.first == route; });
    if (it == touched.end()) {
      touched.emplace_back(route, 1);
      scores[route] = neighbor.similarity;
    } else {
      ++it->second;
      scores[route] += neighbor.similarity;
    }
  }
  for (const auto& [route, count] : touched) {
    scores[route] /= static_cast<float>(mode_ == VoteMode::kMean ? count : query.neighbors.size());
  }
}

}  // namespace cascade::router
