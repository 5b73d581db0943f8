#pragma once

// The routes file: YAML in, YAML out.
//
//   default: general                 # or {name: general, start_tier: small}
//   routes:
//     - name: billing
//       utterances: ["why was I charged twice", ...]
//       start_tier: small            # or `tier: large` (answer with that tier only)
//       threshold: 0.42              # optional; 0 or absent = the router's default
//
// Errors name the file and the line: syntax errors, unknown keys, a duplicate route name,
// a route without utterances, a route with both `start_tier` and `tier`.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/router/lib/route_set.h"

namespace cascade::router {

// `source_name` (usually the path) prefixes every error message.
absl::StatusOr<RouteSet> ParseRouteSetYaml(absl::string_view yaml, absl::string_view source_name);

absl::StatusOr<RouteSet> LoadRouteSetFile(const std::string& path);

// The same format that ParseRouteSetYaml reads; parsing it back gives an equal set.
std::string RouteSetToYaml(const RouteSet& set);

// Writes to a temporary file beside `path` and renames it over `path`, so that a reader
// (or the file watcher) never sees half a file.
absl::Status WriteRouteSetFile(const RouteSet& set, const std::string& path);

}  // namespace cascade::router
