#pragma once

// Is a tier's tool-calling answer one the application can execute? A model that calls a
// tool it was not given, or writes arguments its tool's schema refuses, is wrong however
// sure it is: the cascade climbs as it does on a low confidence.

#include <optional>
#include <string>

#include "cascade/v1/common.pb.h"
#include "cascade/v1/tier.pb.h"

namespace cascade::orchestrator {

// nullopt when `answer` honours `params`: every call names a declared tool and its
// arguments are a JSON object satisfying the tool's parameters schema (json_schema_check.h);
// tool_choice "required" or a tool's name got a call (of that tool), "none" got none;
// parallel_tool_calls false got at most one. Else what is wrong, e.g. "tool_calls[0]:
// 'get_wether' is not a declared tool".
std::optional<std::string> ToolCallViolation(const v1::GenerationParams& params,
                                             const v1::CompleteResponse& answer);

}  // namespace cascade::orchestrator
