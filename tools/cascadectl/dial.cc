#include "tools/cascadectl/dial.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "cascade/v1/config.pb.h"
#include "common/security/grpc_security.h"

namespace cascade::cli {
namespace {

constexpr char kField[] = "client";

}  // namespace

std::set<std::string> WithTlsValueFlags(std::set<std::string> flags) {
  flags.insert({"ca-file", "cert-file", "key-file", "server-name", "api-key-env"});
  return flags;
}

std::set<std::string> WithTlsSwitches(std::set<std::string> switches) {
  switches.insert("tls");
  return switches;
}

bool HasTlsFlags(const CommandArgs& args) {
  return args.Has("tls") || args.Has("ca-file") || args.Has("cert-file") || args.Has("key-file") ||
         args.Has("server-name");
}

v1::ClientConfig ClientConfigFromArgs(const CommandArgs& args, const std::string& address) {
  v1::ClientConfig config;
  config.set_address(address);
  config.set_api_key_env(args.ValueOr("api-key-env", ""));
  if (HasTlsFlags(args)) {
    v1::ClientTlsConfig* tls = config.mutable_tls();
    tls->set_ca_file(args.ValueOr("ca-file", ""));
    tls->set_cert_file(args.ValueOr("cert-file", ""));
    tls->set_key_file(args.ValueOr("key-file", ""));
    tls->set_server_name(args.ValueOr("server-name", ""));
  }
  return config;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const v1::ClientConfig& config,
                                                    grpc::ChannelArguments arguments) {
  auto channel = ChannelFromConfig(config, kField, std::move(arguments));
  if (channel.ok()) return channel;
  // The config's field names, as the flags a person typed.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"client.tls.ca_file", "--ca-file"},    {"client.tls.cert_file", "--cert-file"},
      {"client.tls.key_file", "--key-file"},  {"client.api_key_env", "--api-key-env"},
      {"client.tls", "--tls (or --ca-file)"},
  };
  return absl::InvalidArgumentError(absl::StrReplaceAll(channel.status().message(), names));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const CommandArgs& args,
                                                    const std::string& address) {
  return Dial(ClientConfigFromArgs(args, address));
}

}  // namespace cascade::cli
