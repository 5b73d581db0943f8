#pragma once

// Checks a CompleteRequest before anything is spent on it: sizes within the tier's limits
// and parameters within the contract (common.proto). Errors are INVALID_ARGUMENT naming
// the field and the limit.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/tier.pb.h"
#include "common/validation/generation_params.h"

namespace cascade::tier_worker {

struct RequestLimits {
  int max_messages = 256;
  int64_t max_content_bytes = 1 << 20;
};

absl::Status ValidateCompleteRequest(const cascade::v1::CompleteRequest& request,
                                     const RequestLimits& limits);

// Whether the request declares tools or carries tool calls or tool messages.
bool UsesTools(const cascade::v1::CompleteRequest& request);

}  // namespace cascade::tier_worker
