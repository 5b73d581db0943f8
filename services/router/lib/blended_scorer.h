#pragma once

// A weighted sum of scorers, e.g. 0.8 * linear + 0.2 * kNN vote: the classifier separates
// routes, the similarity term keeps the score meaningful as "how close is this query to
// anything we know", which helps the threshold reject out-of-scope queries.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/router/lib/route_scorer.h"

namespace cascade::router {

class BlendedScorer : public RouteScorer {
 public:
  struct Part {
    double weight;
    std::unique_ptr<RouteScorer> scorer;
  };
  // Weights should sum to 1 so that scores stay within [-1, 1].
  explicit BlendedScorer(std::vector<Part> parts) : parts_(std::move(parts)) {}

  std::string name() const override;
  void Score(const ScoringQuery& query, absl::Span<float> scores) const override;

 private:
  std::vector<Part> parts_;
};

}  // namespace cascade::router
