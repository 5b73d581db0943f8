#include "services/router/lib/route_scorer_factory.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/router/lib/blended_scorer.h"

namespace cascade::router {

absl::StatusOr<std::unique_ptr<RouteScorer>> BuildRouteScorer(const ScorerOptions& options,
                                                              const Embeddings& exemplars,
                                                              absl::Span<const int> exemplar_routes,
                                                              int num_routes) {
  auto knn = [&] {
    return std::make_unique<KnnVoteScorer>(
        std::vector<int>(exemplar_routes.begin(), exemplar_routes.end()), options.vote);
  };
  switch (options.kind) {
    case ScorerKind::kKnnVote:
      return knn();
    case ScorerKind::kLinear: {
      absl::StatusOr<std::unique_ptr<LinearScorer>> linear =
          LinearScorer::Train(options.linear, exemplars, exemplar_routes, num_routes);
      if (!linear.ok()) return linear.status();
      return std::unique_ptr<RouteScorer>(std::move(*linear));
    }
    case ScorerKind::kBlend: {
      if (!(options.linear_weight >= 0.0 && options.linear_weight <= 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("scorer: linear_weight ", options.linear_weight, " is outside [0, 1]"));
      }
      absl::StatusOr<std::unique_ptr<LinearScorer>> linear =
          LinearScorer::Train(options.linear, exemplars, exemplar_routes, num_routes);
      if (!linear.ok()) return linear.status();
      std::vector<BlendedScorer::Part> parts;
      parts.push_back({options.linear_weight, std::move(*linear)});
      parts.push_back({1.0 - options.linear_weight, knn()});
      return std::unique_ptr<RouteScorer>(std::make_unique<BlendedScorer>(std::move(parts)));
    }
  }
  return absl::InvalidArgumentError("scorer: unknown kind");
}

}  // namespace cascade::router
