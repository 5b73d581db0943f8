#pragma once

// The request checks every service that takes a GenerationParams shares (the contract in
// common.proto), so the orchestrator refuses what its tiers would refuse before anything
// is spent, with the same message. Errors are INVALID_ARGUMENT naming the field and limit.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/common.pb.h"

namespace cascade {

// max_tokens >= 0; temperature finite and >= 0; top_p in [0, 1]; top_k >= 0; at most 4
// stop strings of at most 64 bytes of UTF-8; top_logprobs in [0, 20]; a json_schema nested
// at most kMaxJsonNesting deep; at most 128 tools, each named [A-Za-z0-9_-]{1,64}, once,
// with parameters that are a JSON object; tool_choice "", "auto", "none", "required" or a
// tool's name, and only with tools; reasoning_effort "", "minimal", "low", "medium" or
// "high".
absl::Status ValidateGenerationParams(const v1::GenerationParams& params);

}  // namespace cascade
