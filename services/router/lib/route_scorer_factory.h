#pragma once

// Chooses and trains the scorer of a route index.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/router/lib/embedder.h"
#include "services/router/lib/knn_vote_scorer.h"
#include "services/router/lib/linear_scorer.h"
#include "services/router/lib/route_scorer.h"

namespace cascade::router {

enum class ScorerKind {
  kKnnVote,  // Neighbour votes only: no training, fastest build.
  kLinear,   // The trained classifier only.
  kBlend,    // linear_weight * linear + (1 - linear_weight) * kNN vote.
};

struct ScorerOptions {
  ScorerKind kind = ScorerKind::kBlend;
  VoteMode vote = VoteMode::kSum;
  LinearScorerOptions linear;
  double linear_weight = 0.8;
};

// `exemplar_routes[i]` is the route of row i of `exemplars`.
absl::StatusOr<std::unique_ptr<RouteScorer>> BuildRouteScorer(const ScorerOptions& options,
                                                              const Embeddings& exemplars,
                                                              absl::Span<const int> exemplar_routes,
                                                              int num_routes);

}  // namespace cascade::router
