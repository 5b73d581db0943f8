#pragma once

// The router's outcome exemplars on disk, so that a restart keeps them and replicas share
// them: one JSON object per line,
//   {"policy": "default", "key": "9f2c...", "query": "What is 17 * 23?",
//    "tiers": {"small": 0, "large": 1}}
// oldest first within a policy. Reading is strict: an unknown field, a wrong type or an
// invalid exemplar is an error naming the line.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/router/lib/outcome_exemplars.h"

namespace cascade::router {

// Policy -> exemplars, oldest first.
using OutcomeExemplarsByPolicy = std::map<std::string, std::vector<OutcomeExemplar>>;

// The file's text; NotFound when the file does not exist.
absl::StatusOr<std::string> ReadOutcomeExemplarsText(const std::string& path);

// InvalidArgument "PATH:LINE: ..." for a bad line (`path` only names it in errors).
absl::StatusOr<OutcomeExemplarsByPolicy> ParseOutcomeExemplars(const std::string& text,
                                                               const std::string& path);

// Both of the above.
absl::StatusOr<OutcomeExemplarsByPolicy> ReadOutcomeExemplarsFile(const std::string& path);

// The file's text for `exemplars`.
std::string OutcomeExemplarsToJsonLines(const OutcomeExemplarsByPolicy& exemplars);

}  // namespace cascade::router
