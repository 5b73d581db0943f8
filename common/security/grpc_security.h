#pragma once

// TLS, mutual TLS and API keys of gRPC servers and clients, from config:
//   server:  ServerConfig.tls (cert_file, key_file, client_ca_file), api_keys_env and
//            admin_api_keys_env;
//   client:  ClientConfig.tls (ca_file, cert_file, key_file, server_name) and api_key_env.
// Every file is read and checked here, so a mistake stops the process at start with a
// message naming the field and the file.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/config.pb.h"
#include "common/security/grpc_api_key_auth.h"

namespace cascade {

// What a server's gRPC port requires, read from its config.
struct GrpcServerSecurity {
  // Empty: plaintext.
  std::string cert_chain_pem;
  std::string private_key_pem;
  // Set: mutual TLS (clients must present a certificate signed by this bundle).
  std::string client_ca_pem;
  // Set: every call but health checks needs one of these keys (or an admin key).
  std::vector<std::string> api_keys;
  // Set: keys accepted on every call too, and the only ones admin RPCs accept
  // (common/security/admin_access.h). Either list set: every call needs a key.
  std::vector<std::string> admin_api_keys;

  bool tls() const { return !cert_chain_pem.empty(); }
  bool checks_keys() const { return !api_keys.empty() || !admin_api_keys.empty(); }
  // For the listening log line: "plaintext", "tls" or "mtls", plus "+api_keys" and
  // "+admin_keys".
  std::string Describe() const;
};

// FAILED_PRECONDITION naming the field and file for every mistake; api_keys_env or
// admin_api_keys_env without tls is one (gRPC checks keys only on TLS ports, and a key sent
// in plaintext is leaked).
absl::StatusOr<GrpcServerSecurity> ServerSecurityFromConfig(const v1::ServerConfig& config);

// The credentials of the listening port; with api keys, `on_rejected` hears of each call
// refused for its key.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const GrpcServerSecurity& security, ApiKeyAuthProcessor::RejectionObserver on_rejected);

// A channel to `config.address` with its TLS and API key, balancing round-robin over every
// address the target resolves to (any gRPC target: `host:port`, `dns:///name:port`,
// `ipv4:a:p,b:p`, `unix:`). `field` names the config section in errors, e.g.
// "tiers[1].endpoint" or "--tls-ca".
absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFromConfig(
    const v1::ClientConfig& config, absl::string_view field,
    grpc::ChannelArguments arguments = grpc::ChannelArguments());

}  // namespace cascade
