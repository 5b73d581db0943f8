#pragma once

// Routes vote with their exemplars among the query's nearest neighbours.

#include <string>
#include <vector>

#include "services/router/lib/route_scorer.h"

namespace cascade::router {

enum class VoteMode {
  kMax,   // The route's most similar neighbour: 1-nearest-neighbour.
  kMean,  // Mean similarity of the route's neighbours: rewards a tight match.
  kSum,   // Sum of the route's similarities divided by the neighbours searched: rewards
          // routes with many close exemplars. Best of the three on CLINC150.
};

class KnnVoteScorer : public RouteScorer {
 public:
  // `exemplar_routes[i]` is the route of exemplar i.
  KnnVoteScorer(std::vector<int> exemplar_routes, VoteMode mode)
      : exemplar_routes_(std::move(exemplar_routes)), mode_(mode) {}

  std::string name() const override;
  // Routes without a neighbour score -1 (max, mean) or 0 (sum).
  void Score(const ScoringQuery& query, absl::Span<float> scores) const override;

 private:
  std::vector<int> exemplar_routes_;
  VoteMode mode_;
};

}  // namespace cascade::router
