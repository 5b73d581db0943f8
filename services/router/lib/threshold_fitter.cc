#include "services/router/lib/threshold_fitter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/router/lib/query_validation.h"

namespace cascade::router {
namespace {

// What a query is worth to the objective when decided right.
struct Weights {
  double in_scope;
  double out_of_scope;
};

Weights ObjectiveWeights(absl::Span<const ScoredQuery> queries, ThresholdObjective objective) {
  if (objective == ThresholdObjective::kAccuracy) return {1.0, 1.0};
  size_t out_of_scope = 0;
  for (const ScoredQuery& query : queries) out_of_scope += query.label.empty() ? 1 : 0;
  const size_t in_scope = queries.size() - out_of_scope;
  // Scaled so that a weight stays "about one query" and min_route_gain keeps its meaning.
  const double total = static_cast<double>(queries.size());
  return {in_scope == 0 ? 0.0 : total / (2.0 * in_scope),
          out_of_scope == 0 ? 0.0 : total / (2.0 * out_of_scope)};
}

struct Cut {
  double threshold;
  double value;  // Objective gained by the queries considered.
};

// The threshold in [low, high] that maximises what `queries` gain: a right in-scope query
// gains if at or above the threshold, an out-of-scope one if below. Queries whose best route
// is not their label gain nothing either way. Picks the middle of the best run of cuts, and
// cuts halfway between neighbouring scores, so that the fit does not sit on an example.
Cut BestCut(std::vector<const ScoredQuery*> queries, const Weights& weights, double low,
            double high) {
  std::sort(queries.begin(), queries.end(),
            [](const ScoredQuery* a, const ScoredQuery* b) { return a->score < b->score; });
  const size_t n = queries.size();
  // value(k): the k lowest-scoring queries fall below the threshold.
  std::vector<double> value(n + 1, 0.0);
  for (const ScoredQuery* query : queries) {
    if (!query->label.empty() && query->label == query->best_route) value[0] += weights.in_scope;
  }
  for (size_t k = 1; k <= n; ++k) {
    const ScoredQuery& query = *queries[k - 1];
    double delta = 0.0;
    if (query.label.empty()) delta = weights.out_of_scope;
    if (!query.label.empty() && query.label == query.best_route) delta = -weights.in_scope;
    value[k] = value[k - 1] + delta;
  }
  auto threshold_at = [&](size_t k) {
    double threshold;
    if (k == 0) {
      threshold = n == 0 ? low : queries[0]->score - 1e-6;
    } else if (k == n) {
      threshold = queries[n - 1]->score + 1e-6;
    } else {
      threshold = 0.5 * (queries[k - 1]->score + queries[k]->score);
    }
    return std::clamp(threshold, low, high);
  };
  // Only cuts whose threshold lies in [low, high] and that separate distinct scores count.
  size_t best_first = 0, best_last = 0;
  double best_value = -1.0;
  bool in_best_run = false;
  for (size_t k = 0; k <= n; ++k) {
    const bool distinct = k == 0 || k == n || queries[k - 1]->score < queries[k]->score;
    const double threshold = threshold_at(k);
    const bool allowed = distinct && threshold >= low && threshold <= high;
    if (allowed && value[k] > best_value + 1e-12) {
      best_value = value[k];
      best_first = best_last = k;
      in_best_run = true;
    } else if (allowed && in_best_run && value[k] >= best_value - 1e-12) {
      best_last = k;
    } else if (allowed) {
      in_best_run = false;
    }
  }
  const double threshold = 0.5 * (threshold_at(best_first) + threshold_at(best_last));
  return {threshold, best_value};
}

double ValueAt(const std::vector<const ScoredQuery*>& queries, const Weights& weights,
               double threshold) {
  double value = 0.0;
  for (const ScoredQuery* query : queries) {
    const bool passes = query->score >= threshold;
    if (query->label.empty() && !passes) value += weights.out_of_scope;
    if (!query->label.empty() && query->label == query->best_route && passes) {
      value += weights.in_scope;
    }
  }
  return value;
}

}  // namespace

absl::StatusOr<std::vector<ScoredQuery>> ScoreLabeledQueries(
    const RouteIndex& index, absl::Span<const LabeledQuery> queries) {
  const RouteSet& routes = index.routes();
  std::vector<ScoredQuery> scored;
  scored.reserve(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    const LabeledQuery& query = queries[i];
    ScoredQuery result;
    if (query.label != kOutOfScopeLabel && query.label != routes.default_route.name) {
      if (routes.Find(query.label) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labeled query ", i, ": label '", query.label,
            "' names no route; use a route name or '", kOutOfScopeLabel, "' for out-of-scope"));
      }
      result.label = query.label;
    }
    if (absl::Status status = ValidateQuery(query.text, query.text.size()); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("labeled query ", i, ": ", status.message()));
    }
    absl::StatusOr<Decision> decision = index.Route(query.text);
    if (!decision.ok()) return decision.status();
    result.best_route = decision->best_route;
    result.score = decision->score;
    scored.push_back(std::move(result));
  }
  return scored;
}

absl::StatusOr<ThresholdFit> FitThresholds(absl::Span<const ScoredQuery> queries,
                                           const ThresholdFitOptions& options) {
  if (queries.empty()) return absl::InvalidArgumentError("no labeled queries to fit on");
  if (!(options.min_threshold <= options.max_threshold)) {
    return absl::InvalidArgumentError("min_threshold is above max_threshold");
  }
  const Weights weights = ObjectiveWeights(queries, options.objective);
  std::vector<const ScoredQuery*> all;
  absl::flat_hash_map<std::string, std::vector<const ScoredQuery*>> by_route;
  for (const ScoredQuery& query : queries) {
    all.push_back(&query);
    by_route[query.best_route].push_back(&query);
  }
  ThresholdFit fit;
  fit.global_threshold =
      BestCut(all, weights, options.min_threshold, options.max_threshold).threshold;
  if (!options.per_route) return fit;
  for (const auto& [route, route_queries] : by_route) {
    if (route_queries.size() < options.min_route_queries) continue;
    const Cut own = BestCut(route_queries, weights, options.min_threshold, options.max_threshold);
    const double global_value = ValueAt(route_queries, weights, fit.global_threshold);
    if (own.value >= global_value + options.min_route_gain) {
      fit.route_thresholds[route] = own.threshold;
    }
  }
  return fit;
}

double ThresholdFit::ThresholdFor(absl::string_view route) const {
  auto it = route_thresholds.find(route);
  return it == route_thresholds.end() ? global_threshold : it->second;
}

void ApplyThresholds(const ThresholdFit& fit, RouteSet& routes) {
  for (RouteSpec& route : routes.routes) {
    const double threshold = fit.ThresholdFor(route.name);
    route.threshold = threshold == 0.0 ? 1e-9 : threshold;
  }
}

double RoutingQuality::in_scope_accuracy() const {
  return in_scope == 0 ? 0.0 : static_cast<double>(in_scope_correct) / in_scope;
}
double RoutingQuality::out_of_scope_recall() const {
  return out_of_scope == 0 ? 0.0 : static_cast<double>(out_of_scope_rejected) / out_of_scope;
}
double RoutingQuality::out_of_scope_precision() const {
  return rejected == 0 ? 0.0 : static_cast<double>(out_of_scope_rejected) / rejected;
}
double RoutingQuality::accuracy() const {
  const size_t total = in_scope + out_of_scope;
  return total == 0 ? 0.0 : static_cast<double>(in_scope_correct + out_of_scope_rejected) / total;
}

RoutingQuality MeasureRoutingQuality(absl::Span<const ScoredQuery> queries,
                                     const ThresholdFit& fit) {
  RoutingQuality quality;
  for (const ScoredQuery& query : queries) {
    const bool passes = query.score >= fit.ThresholdFor(query.best_route);
    quality.rejected += passes ? 0 : 1;
    if (query.label.empty()) {
      ++quality.out_of_scope;
      quality.out_of_scope_rejected += passes ? 0 : 1;
    } else {
      ++quality.in_scope;
      quality.in_scope_correct += passes && query.label == query.best_route ? 1 : 0;
    }
  }
  return quality;
}

}  // namespace cascade::router
