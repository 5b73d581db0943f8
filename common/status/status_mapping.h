#pragma once

// absl::Status is what our libraries return; grpc::Status is what crosses the wire.
// The canonical codes are the same numbers, so the mapping keeps code and message.

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cascade {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace cascade
