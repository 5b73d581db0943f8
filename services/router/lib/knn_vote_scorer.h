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
  // A route without a neighbour among the top k has no evidence, which is not the same as
  // similarity -1 (opposite to the query). In max and mean mode it scores 0 when the k-th
  // (least similar) neighbour is more similar than 0, the usual case (hashed vectors are
  // never less similar than 0); otherwise the float just below the k-th neighbour's
  // similarity (never below -1). A route with a neighbour scores at least the k-th's
  // similarity, so a route without one never ranks above it, nor ties with it. In sum
  // mode it scores 0 (no votes); with no neighbours at all every route scores 0.
  void Score(const ScoringQuery& query, absl::Span<float> scores) const override;

 private:
  std::vector<int> exemplar_routes_;
  VoteMode mode_;
};

}  // namespace cascade::router
