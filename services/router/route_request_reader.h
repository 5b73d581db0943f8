#pragma once

// Reads the query out of a serialized cascade.v1.RouteRequest without protobuf's UTF-8
// check. Protobuf refuses a proto3 string field holding invalid UTF-8 at parse time, so a
// typed handler would never see such a request: gRPC would answer INTERNAL ("failed to
// parse") and protobuf would print a non-JSON line to stderr. Taking the raw bytes lets
// the router's own validation answer INVALID_ARGUMENT naming the offending byte.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade::router {

// The `query` field (1) of a serialized RouteRequest, as raw bytes; empty when absent.
// Unknown fields are skipped, as protobuf would. InvalidArgument when the bytes are not a
// well-formed message.
absl::StatusOr<std::string> ReadRouteRequestQuery(absl::string_view serialized);

}  // namespace cascade::router
