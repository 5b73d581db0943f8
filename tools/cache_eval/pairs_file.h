#pragma once

// The labelled pairs file of the answer cache's threshold fit (`cascadectl cache fit`),
// which `cascade-cache-eval --write-pairs` writes from its pair set: JSON Lines, one pair per
// line,
//   {"a": "what's the weather in Paris", "b": "how's the weather in Paris", "same": true,
//    "route": "weather"}
//   a, b    two last user messages, non-empty strings (the order does not matter)
//   same    true: the answer cached for one is right for the other; false: a near-miss, the
//           cached answer would be wrong
//   route   optional: the route the cached answer would be given under (the router's
//           route name); absent or "": none, the policy's similarity_threshold applies
// Blank lines are skipped; any other key is an error (a misspelt "route" is not ignored).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/cache/lib/threshold_fit.h"

namespace cascade::cache_eval {

// InvalidArgument "PATH:LINE: what is wrong" at the first bad line; NotFound when the file
// cannot be read.
absl::StatusOr<std::vector<cache::LabelledPair>> ReadPairsFile(const std::string& path);

// One line, without its newline.
std::string PairLine(const cache::LabelledPair& pair);

absl::Status WritePairsFile(const std::string& path, const std::vector<cache::LabelledPair>& pairs);

}  // namespace cascade::cache_eval
