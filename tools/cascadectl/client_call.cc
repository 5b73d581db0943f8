#include "tools/cascadectl/client_call.h"

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "tools/cascadectl/dial.h"

namespace cascade::cli {

int UsageError(std::ostream& err, const std::string& command, absl::string_view message,
               const char* usage) {
  err << "cascadectl " << command << ": " << message << "\n\n" << usage;
  return 2;
}

int CallFailed(std::ostream& err, const std::string& command, const grpc::Status& status) {
  err << "cascadectl " << command << ": "
      << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
      << status.error_message() << "\n";
  return 1;
}

absl::StatusOr<std::chrono::milliseconds> TimeoutFromArgs(const CommandArgs& args,
                                                          std::chrono::milliseconds fallback) {
  std::optional<std::string> text = args.Value("timeout-ms");
  if (!text) return fallback;
  int milliseconds = 0;
  if (!absl::SimpleAtoi(*text, &milliseconds) || milliseconds <= 0) {
    return absl::InvalidArgumentError("--timeout-ms must be a positive integer");
  }
  return std::chrono::milliseconds(milliseconds);
}

absl::StatusOr<ServerChannel> ConnectFromArgs(const CommandArgs& args,
                                              const std::string& address_flag,
                                              std::chrono::milliseconds default_timeout) {
  absl::StatusOr<std::string> address = args.Required(address_flag);
  if (!address.ok()) return address.status();
  absl::StatusOr<std::chrono::milliseconds> timeout = TimeoutFromArgs(args, default_timeout);
  if (!timeout.ok()) return timeout.status();
  auto channel = Dial(args, *address);
  if (!channel.ok()) return channel.status();
  return ServerChannel{*std::move(channel), *timeout};
}

std::string ProtoJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace cascade::cli
