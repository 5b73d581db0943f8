#pragma once

// Fits route thresholds on labeled queries, in-scope and out-of-scope: a query labeled with
// a route should take that route; one labeled out-of-scope should fall to the default route.
// Used by `cascadectl routes fit`, and by the CLINC150 test (fit on val, judge on test).
//
// The router checks only the best route's threshold, so each route's threshold affects only
// the queries whose best route it is: the fit is exact per route. With few examples per
// route a per-route optimum overfits, so a route keeps the global threshold unless its own
// clearly does better.

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/router/lib/route_index.h"
#include "services/router/lib/route_set.h"

namespace cascade::router {

// Label of an out-of-scope query (the default route's name works too).
inline constexpr absl::string_view kOutOfScopeLabel = "oos";

struct LabeledQuery {
  std::string text;
  std::string label;  // A route name, kOutOfScopeLabel or the default route's name.
};

// A labeled query with the router's unthresholded verdict.
struct ScoredQuery {
  std::string best_route;
  double score = 0.0;
  std::string label;  // A route name, or empty for out-of-scope.
};

// Routes every query through `index` (thresholds ignored). InvalidArgument for a label
// that names no route, or a query the router would reject.
absl::StatusOr<std::vector<ScoredQuery>> ScoreLabeledQueries(
    const RouteIndex& index, absl::Span<const LabeledQuery> queries);

enum class ThresholdObjective {
  // Share of all queries decided right: in-scope to their route, out-of-scope to default.
  kAccuracy,
  // Mean of in-scope accuracy and out-of-scope recall: weighs the out-of-scope queries as
  // much as all the in-scope ones, whatever their numbers.
  kBalancedAccuracy,
};

struct ThresholdFitOptions {
  ThresholdObjective objective = ThresholdObjective::kAccuracy;
  bool per_route = true;
  // A route needs this many queries whose best route it is to get its own threshold...
  size_t min_route_queries = 20;
  // ...and its own threshold must gain at least this many (objective-weighted) queries.
  double min_route_gain = 2.0;
  // Thresholds are kept within this range.
  double min_threshold = 0.0;
  double max_threshold = 1.0;
};

struct ThresholdFit {
  double global_threshold = 0.0;
  // Routes whose own threshold beats the global one.
  absl::flat_hash_map<std::string, double> route_thresholds;

  double ThresholdFor(absl::string_view route) const;
};

absl::StatusOr<ThresholdFit> FitThresholds(absl::Span<const ScoredQuery> queries,
                                           const ThresholdFitOptions& options);

// Writes the fit into the routes: per-route thresholds where fitted, the global one
// elsewhere. (0 means "router default" in a RouteSpec, so a fitted 0 becomes a tiny
// positive number.)
void ApplyThresholds(const ThresholdFit& fit, RouteSet& routes);

struct RoutingQuality {
  size_t in_scope = 0;
  size_t in_scope_correct = 0;  // Right route and at or above its threshold.
  size_t out_of_scope = 0;
  size_t out_of_scope_rejected = 0;  // Out-of-scope queries sent to the default route.
  size_t rejected = 0;               // All queries sent to the default route.

  double in_scope_accuracy() const;
  double out_of_scope_recall() const;
  double out_of_scope_precision() const;
  double accuracy() const;
};

RoutingQuality MeasureRoutingQuality(absl::Span<const ScoredQuery> queries,
                                     const ThresholdFit& fit);

}  // namespace cascade::router
