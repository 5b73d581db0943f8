#pragma once

// Labeled queries for threshold fitting, and route sets made from them.
//
// JSON Lines, one query per line: {"text": "how do I pay my bill", "label": "billing"};
// label "oos" (kOutOfScopeLabel) marks a query that should take the default route.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/router/lib/route_set.h"
#include "services/router/lib/threshold_fitter.h"

namespace cascade::router {

// Errors name `source_name` and the line. Blank lines are skipped.
absl::StatusOr<std::vector<LabeledQuery>> ParseLabeledQueriesJsonl(absl::string_view jsonl,
                                                                   absl::string_view source_name);

absl::StatusOr<std::vector<LabeledQuery>> LoadLabeledQueriesFile(const std::string& path);

// One route per in-scope label, in order of first appearance, with its queries as
// utterances; out-of-scope queries are left out.
RouteSet RouteSetFromLabeledQueries(absl::Span<const LabeledQuery> queries);

}  // namespace cascade::router
