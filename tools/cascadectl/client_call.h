#pragma once

// What every cascadectl command that calls a server shares: its usage errors (exit 2), a
// refused call (exit 1), --timeout-ms, the connection its flags describe, and JSON output.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {

// Prints "cascadectl COMMAND: MESSAGE" and the usage; returns 2.
int UsageError(std::ostream& err, const std::string& command, absl::string_view message,
               const char* usage);

// Prints "cascadectl COMMAND: CODE: MESSAGE" of a call the server refused; returns 1.
int CallFailed(std::ostream& err, const std::string& command, const grpc::Status& status);

// --timeout-ms, or `fallback`; INVALID_ARGUMENT unless a positive integer.
absl::StatusOr<std::chrono::milliseconds> TimeoutFromArgs(const CommandArgs& args,
                                                          std::chrono::milliseconds fallback);

struct ServerChannel {
  std::shared_ptr<grpc::Channel> channel;
  std::chrono::milliseconds timeout{0};
};

// The server named by --ADDRESS_FLAG (required), dialled as the TLS flags say, with the
// deadline of --timeout-ms; INVALID_ARGUMENT naming the flag on a mistake.
absl::StatusOr<ServerChannel> ConnectFromArgs(const CommandArgs& args,
                                              const std::string& address_flag,
                                              std::chrono::milliseconds default_timeout);

// The message as indented JSON with the proto's field names, defaults included.
std::string ProtoJson(const google::protobuf::Message& message);

}  // namespace cascade::cli
