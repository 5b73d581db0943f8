#pragma once

// How cascadectl reaches a server: plaintext by default; with --tls (the system's roots) or
// --ca-file, TLS; with --cert-file and --key-file, mutual TLS; --server-name when the
// address does not carry the certificate's name; --api-key-env names the variable holding
// the key sent as `authorization: Bearer KEY` (never the key itself on a command line).

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "tools/cascadectl/command_args.h"

// The flags' help, appended to the usage text of every command that takes them.
#define CASCADECTL_TLS_USAGE                                                                \
  "\nTLS (default plaintext): --tls (system roots) or --ca-file PEM; --cert-file PEM and\n" \
  "--key-file PEM for mutual TLS; --server-name NAME when ADDR does not carry the\n"        \
  "certificate's name; --api-key-env VAR sends the key held in VAR as\n"                    \
  "`authorization: Bearer KEY` (needs TLS).\n"

namespace cascade::cli {

// The value flags and switches every command that calls a server takes, added to its own.
std::set<std::string> WithTlsValueFlags(std::set<std::string> flags);
std::set<std::string> WithTlsSwitches(std::set<std::string> switches);

// Whether any TLS flag was given.
bool HasTlsFlags(const CommandArgs& args);

// The connection the flags describe, to `address`.
v1::ClientConfig ClientConfigFromArgs(const CommandArgs& args, const std::string& address);

// A channel as `config` says; INVALID_ARGUMENT naming the flag on a mistake.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(
    const v1::ClientConfig& config, grpc::ChannelArguments arguments = grpc::ChannelArguments());
absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const CommandArgs& args,
                                                    const std::string& address);

}  // namespace cascade::cli
