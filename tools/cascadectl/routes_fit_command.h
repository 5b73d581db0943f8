#pragma once

// `cascadectl routes fit`: fits per-route thresholds on labeled queries (in-scope and
// out-of-scope) and writes them into the routes file.

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kRoutesFitUsage[] =
    R"(usage: cascadectl routes fit --data LABELED.jsonl --routes ROUTES.yaml [options]

Routes every labeled query through an index built from ROUTES.yaml (as cascade-router
would), fits the thresholds that decide best between "take the best route" and "take the
default route", and writes them into the routes file.

LABELED.jsonl holds one query per line: {"text": "...", "label": "ROUTE"}; label "oos"
(or the default route's name) marks a query that should take the default route. Include
out-of-scope queries, or every threshold fits to 0.

options:
  --out FILE             write the fitted routes here instead of over ROUTES.yaml
  --router-config FILE   the router's YAML config: fit with its scorer, voting, top_k and
                         embedder (thresholds depend on them); default: the router's defaults
  --objective NAME       accuracy (default): share of all queries decided right;
                         balanced: mean of in-scope accuracy and out-of-scope recall
  --global-only          one threshold for every route (no per-route thresholds)
  --dry-run              report the fit, write nothing
  --json                 print the report as JSON
)";

// Returns the process exit code: 0, 1 (a failure, reported on `err`) or 2 (usage).
int RunRoutesFit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
