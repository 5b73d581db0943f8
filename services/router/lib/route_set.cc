#include "services/router/lib/route_set.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cascade::router {
namespace {

absl::Status ValidateTarget(const RouteTarget& target, absl::string_view owner) {
  if (target.kind != RouteTarget::Kind::kNone && target.tier.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(owner, ": the target tier is empty; name a tier or leave the target out"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRoute(const RouteSpec& route) {
  if (route.name.empty()) {
    return absl::InvalidArgumentError("a route has an empty name; every route needs a name");
  }
  const std::string owner = absl::StrCat("route '", route.name, "'");
  if (route.utterances.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(owner, " has no utterances; give it at least one example query"));
  }
  for (size_t i = 0; i < route.utterances.size(); ++i) {
    if (route.utterances[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(owner, ": utterance ", i, " is empty; remove it or write the example"));
    }
  }
  if (!(route.threshold >= -1.0 && route.threshold <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(owner, ": threshold ", route.threshold, " is outside [-1, 1]"));
  }
  return ValidateTarget(route.target, owner);
}

}  // namespace

const RouteSpec* RouteSet::Find(absl::string_view name) const {
  auto it = std::find_if(routes.begin(), routes.end(),
                         [&](const RouteSpec& route) { return route.name == name; });
  return it == routes.end() ? nullptr : &*it;
}

size_t RouteSet::exemplar_count() const {
  size_t count = 0;
  for (const RouteSpec& route : routes) count += route.utterances.size();
  return count;
}

absl::Status ValidateRouteSet(const RouteSet& set) {
  if (set.default_route.name.empty()) {
    return absl::InvalidArgumentError("the default route has an empty name");
  }
  if (absl::Status status = ValidateTarget(set.default_route.target, "the default route");
      !status.ok()) {
    return status;
  }
  absl::flat_hash_set<absl::string_view> names;
  for (const RouteSpec& route : set.routes) {
    if (absl::Status status = ValidateRoute(route); !status.ok()) return status;
    if (route.name == set.default_route.name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "route '", route.name, "' has the default route's name; rename one of them"));
    }
    if (!names.insert(route.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("route '", route.name, "' is defined twice; route names must be unique"));
    }
  }
  return absl::OkStatus();
}

absl::Status UpsertRoutes(RouteSet& set, absl::Span<const RouteSpec> routes) {
  absl::flat_hash_set<absl::string_view> names;
  for (const RouteSpec& route : routes) {
    if (!names.insert(route.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "route '", route.name, "' appears twice in one update; send each route once"));
    }
  }
  RouteSet updated = set;
  for (const RouteSpec& route : routes) {
    auto it = std::find_if(updated.routes.begin(), updated.routes.end(),
                           [&](const RouteSpec& existing) { return existing.name == route.name; });
    if (it == updated.routes.end()) {
      updated.routes.push_back(route);
    } else {
      *it = route;
    }
  }
  if (absl::Status status = ValidateRouteSet(updated); !status.ok()) return status;
  set = std::move(updated);
  return absl::OkStatus();
}

absl::Status DeleteRoute(RouteSet& set, absl::string_view name) {
  auto it = std::find_if(set.routes.begin(), set.routes.end(),
                         [&](const RouteSpec& route) { return route.name == name; });
  if (it == set.routes.end()) {
    return absl::NotFoundError(absl::StrCat("no route named '", name, "'"));
  }
  set.routes.erase(it);
  return absl::OkStatus();
}

}  // namespace cascade::router
