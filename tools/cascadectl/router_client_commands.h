#pragma once

// cascadectl commands that talk to a running cascade-router over gRPC:
//   cascadectl route "TEXT" --router ADDR       what the router decides for TEXT
//   cascadectl routes list --router ADDR        the routes it serves

#include <ostream>
#include <string>
#include <vector>

#include "tools/cascadectl/dial.h"

namespace cascade::cli {

inline constexpr char kRouteUsage[] =
    R"(usage: cascadectl route "TEXT" --router ADDR [--timeout-ms N] [--json]

Asks the router at ADDR (HOST:PORT or unix:PATH) where TEXT should go, and prints the
decision: route, target tier, score, the exemplar that matched best and the runners-up.
)" CASCADECTL_TLS_USAGE;

inline constexpr char kRoutesListUsage[] =
    R"(usage: cascadectl routes list --router ADDR [--timeout-ms N] [--json]

Prints the routes the router at ADDR serves: name, target, threshold, exemplar count.
)" CASCADECTL_TLS_USAGE;

// Each returns the process exit code: 0, 1 (the call failed, reported on `err`) or 2.
int RunRoute(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRoutesList(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
