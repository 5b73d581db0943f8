#pragma once

// The route set: named groups of example utterances, where their queries go, and the
// default route for queries that match nothing well enough. Plain values; validation and
// edits are free functions so that every holder (YAML loader, Router, adapters) shares them.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cascade::router {

// Where a route's queries go. Tiers are names, never indexes; kNone means the first tier.
struct RouteTarget {
  enum class Kind { kNone, kStartTier, kFixedTier };

  Kind kind = Kind::kNone;
  std::string tier;

  static RouteTarget None() { return {}; }
  static RouteTarget StartTier(std::string tier) { return {Kind::kStartTier, std::move(tier)}; }
  static RouteTarget FixedTier(std::string tier) { return {Kind::kFixedTier, std::move(tier)}; }

  friend bool operator==(const RouteTarget&, const RouteTarget&) = default;
};

struct RouteSpec {
  std::string name;
  std::vector<std::string> utterances;
  RouteTarget target;
  // Minimum score for a query to take this route; 0 means the router's default threshold.
  double threshold = 0.0;

  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// Chosen when the best route scores below its threshold (or there are no routes).
struct DefaultRoute {
  std::string name = "default";
  RouteTarget target;

  friend bool operator==(const DefaultRoute&, const DefaultRoute&) = default;
};

struct RouteSet {
  std::vector<RouteSpec> routes;
  DefaultRoute default_route;

  friend bool operator==(const RouteSet&, const RouteSet&) = default;

  // The route named `name`, or nullptr.
  const RouteSpec* Find(absl::string_view name) const;
  // Utterances over all routes.
  size_t exemplar_count() const;
};

// Checks what every route set must satisfy: non-empty unique names (the default route's
// name included), at least one non-empty utterance per route, a tier name when a target
// is set, and thresholds in [-1, 1]. Errors are InvalidArgument naming the route.
absl::Status ValidateRouteSet(const RouteSet& set);

// Replaces routes with the same name (in place, keeping order) and appends new ones.
// The result is validated; `set` is unchanged on error.
absl::Status UpsertRoutes(RouteSet& set, absl::Span<const RouteSpec> routes);

// Removes the route named `name`; NotFound when there is none.
absl::Status DeleteRoute(RouteSet& set, absl::string_view name);

}  // namespace cascade::router
