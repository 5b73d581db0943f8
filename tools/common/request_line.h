#pragma once

// One line of a prompt file -> a cascade request. The format cascadectl replay and
// cascade-loadgen share: a JSON object per line, {"prompt": "..."} or
// {"messages": [{"role", "content"}]}, optional "policy" and "max_tokens".

#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/cascade.pb.h"

namespace cascade::tools {

// INVALID_ARGUMENT saying what the line lacks. `policy` applies where the line names none.
absl::StatusOr<v1::CascadeRequest> ParseRequestLine(const std::string& line,
                                                    const std::string& policy);

}  // namespace cascade::tools
