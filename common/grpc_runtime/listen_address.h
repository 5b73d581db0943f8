#pragma once

// ADDR on the command line and in config: HOST:PORT (port 0 picks a free one),
// [IPv6]:PORT, or unix:PATH.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade {

struct ListenAddress {
  bool is_unix = false;
  std::string host;  // Without brackets; empty for unix sockets.
  int port = 0;
  std::string unix_path;

  // The form gRPC takes: "127.0.0.1:0", "[::1]:0" or "unix:/tmp/x.sock".
  std::string ToGrpcTarget() const;
};

// INVALID_ARGUMENT naming `what` (e.g. "--grpc-listen") when `text` is malformed.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text, absl::string_view what);

}  // namespace cascade
