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

inline constexpr char kRoutesLearnUsage[] =
    R"(usage: cascadectl routes learn --outcomes FILE --policy NAME --router ADDR
                              [--tier-name MODEL=TIER ...] [--batch N] [--timeout-ms N] [--json]

Teaches the router at ADDR, for policy NAME, how each tier did on past queries: every
record of the outcomes FILE (docs/outcomes.md; `cascadectl log to-outcomes` makes one from
the decision log) becomes an outcome exemplar, its last user message labelled with each
model's quality. A policy with `start: learned` then starts where these say it pays.
--tier-name maps a model of the file to the policy's tier name (repeat it per model; with
any mapping, unmapped models are left out). Sent in batches of N (default 1000); a query
already known (same messages) has its labels merged. Prints what was added and how the
router calibrated each tier's estimate (leave-one-out log loss against the base rate).
)" CASCADECTL_TLS_USAGE;

// Each returns the process exit code: 0, 1 (the call failed, reported on `err`) or 2.
int RunRoute(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRoutesList(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRoutesLearn(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
