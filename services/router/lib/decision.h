#pragma once

// What the router decided for one query.

#include <string>
#include <vector>

#include "services/router/lib/route_set.h"

namespace cascade::router {

struct RouteAlternative {
  std::string route;
  double score = 0.0;
};

struct Decision {
  // The chosen route, or the default route when the best route scored below its threshold.
  std::string route;
  // The best route's score, in [-1, 1] (also when the default route was chosen).
  double score = 0.0;
  RouteTarget target;
  // The best route's exemplar most similar to the query.
  std::string matched_example;
  // The best routes other than the chosen one, best first (the runner-up is first; below
  // threshold, the best route is).
  std::vector<RouteAlternative> alternatives;
  bool below_threshold = false;
  // The best-scoring route even when below threshold; empty when there are no routes.
  std::string best_route;

  // For the adapter's latency histograms: the library itself exports no metrics.
  double embed_seconds = 0.0;
  double search_seconds = 0.0;  // Index search and scoring.
};

}  // namespace cascade::router
