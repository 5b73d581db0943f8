#pragma once

// An immutable snapshot of everything a routing decision needs: the route set, the
// embedder fitted to its exemplars, the FAISS index over them and the trained scorer.
// Built whole before anyone sees it, never changed afterwards, so any number of threads
// can route on it while a replacement is being built.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/router/lib/decision.h"
#include "services/router/lib/embedder.h"
#include "services/router/lib/exemplar_index.h"
#include "services/router/lib/route_scorer.h"
#include "services/router/lib/route_scorer_factory.h"
#include "services/router/lib/route_set.h"

namespace cascade::router {

struct RouteIndexOptions {
  // Empty: the hashed embedder with its default options.
  EmbedderFactory embedder;
  ExemplarIndexOptions index;
  ScorerOptions scorer;
  // Neighbours searched per query (for voting and the matched exemplar).
  int top_k = 10;
  // Threshold of routes that set none (threshold 0). About what FitThresholds finds on
  // CLINC150's validation split for the default scorer; fit your own routes' thresholds
  // (`cascadectl routes fit`): the best value depends on the number of routes.
  double default_threshold = 0.1;
  size_t max_alternatives = 3;
};

// How long the parts of a build took, for logs.
struct RouteIndexBuildStats {
  double embed_seconds = 0.0;
  double index_seconds = 0.0;
  double scorer_seconds = 0.0;
};

class RouteIndex {
 public:
  // Validates `routes` and builds the snapshot. Errors: InvalidArgument for a bad route set
  // or options; whatever the embedder returns (e.g. Unavailable for a remote one).
  static absl::StatusOr<std::shared_ptr<const RouteIndex>> Build(RouteSet routes,
                                                                 const RouteIndexOptions& options);

  // Decides for a query that ValidateQuery accepted. Thread-safe.
  absl::StatusOr<Decision> Route(absl::string_view query) const;

  const RouteSet& routes() const { return routes_; }
  size_t exemplars() const { return exemplar_route_.size(); }
  // The threshold that applies to route `route` (its own, or the default).
  double ThresholdOf(const RouteSpec& route) const;
  const std::string& scorer_name() const { return scorer_name_; }
  const std::string& embedder_name() const { return embedder_name_; }
  bool uses_hnsw() const { return index_ != nullptr && index_->is_hnsw(); }
  const RouteIndexBuildStats& build_stats() const { return build_stats_; }

 private:
  RouteIndex() = default;

  // The exemplar of `route` most similar to the query: among the neighbours when one of
  // them belongs to it, else by scanning the route's exemplars.
  const std::string& MatchedExample(int route, const float* query,
                                    const std::vector<Neighbor>& neighbors) const;
  const std::string& ExemplarText(int64_t exemplar) const;

  RouteSet routes_;
  RouteIndexOptions options_;
  std::shared_ptr<const Embedder> embedder_;
  std::unique_ptr<ExemplarIndex> index_;
  std::unique_ptr<RouteScorer> scorer_;
  // Exemplars are numbered route by route: route r owns [first_exemplar_[r],
  // first_exemplar_[r + 1]).
  std::vector<int> exemplar_route_;
  std::vector<int64_t> first_exemplar_;
  std::string scorer_name_;
  std::string embedder_name_;
  RouteIndexBuildStats build_stats_;
};

}  // namespace cascade::router
