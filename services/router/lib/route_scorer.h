#pragma once

// Scores every route for one query. The index has already embedded the query and found
// its nearest exemplars; a scorer turns that into one number per route (higher is better,
// within [-1, 1]) that the router compares with the route's threshold.

#include <cstddef>
#include <string>

#include "absl/types/span.h"
#include "services/router/lib/embedder.h"
#include "services/router/lib/exemplar_index.h"

namespace cascade::router {

struct ScoringQuery {
  absl::Span<const float> dense;  // L2-normalised.
  // nullptr when the embedder has no sparse view.
  const SparseVector* sparse = nullptr;
  // Nearest exemplars, most similar first.
  absl::Span<const Neighbor> neighbors;
};

class RouteScorer {
 public:
  virtual ~RouteScorer() = default;

  virtual std::string name() const = 0;
  // Writes scores[r] for every route r (scores.size() routes). Thread-safe.
  virtual void Score(const ScoringQuery& query, absl::Span<float> scores) const = 0;
};

}  // namespace cascade::router
