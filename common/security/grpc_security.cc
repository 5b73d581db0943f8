#include "common/security/grpc_security.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config/config_loader.h"
#include "common/security/api_keys.h"
#include "common/security/pem_files.h"

namespace cascade {

std::string GrpcServerSecurity::Describe() const {
  std::string mode = !tls() ? "plaintext" : client_ca_pem.empty() ? "tls" : "mtls";
  if (!api_keys.empty()) absl::StrAppend(&mode, "+api_keys");
  if (!admin_api_keys.empty()) absl::StrAppend(&mode, "+admin_keys");
  return mode;
}

absl::StatusOr<GrpcServerSecurity> ServerSecurityFromConfig(const v1::ServerConfig& config) {
  GrpcServerSecurity security;
  if (config.has_tls()) {
    const v1::ServerTlsConfig& tls = config.tls();
    auto cert = ReadPemCertificates(tls.cert_file(), "server.tls.cert_file");
    if (!cert.ok()) return cert.status();
    auto key = ReadPemPrivateKey(tls.key_file(), "server.tls.key_file");
    if (!key.ok()) return key.status();
    absl::Status pair =
        CheckKeyMatchesCertificate(*cert, *key, "server.tls.cert_file", "server.tls.key_file");
    if (!pair.ok()) return pair;
    security.cert_chain_pem = *std::move(cert);
    security.private_key_pem = *std::move(key);
    if (!tls.client_ca_file().empty()) {
      auto ca = ReadPemCertificates(tls.client_ca_file(), "server.tls.client_ca_file");
      if (!ca.ok()) return ca.status();
      security.client_ca_pem = *std::move(ca);
    }
  }
  if (!config.api_keys_env().empty()) {
    if (!security.tls()) {
      return absl::FailedPreconditionError(
          "server.api_keys_env needs server.tls: gRPC checks API keys only on TLS ports, and "
          "a key sent in plaintext is a leaked key");
    }
    auto keys = ReadApiKeysFromEnv(config.api_keys_env(), "server.api_keys_env");
    if (!keys.ok()) return keys.status();
    security.api_keys = *std::move(keys);
  }
  if (!config.admin_api_keys_env().empty()) {
    if (!security.tls()) {
      return absl::FailedPreconditionError(
          "server.admin_api_keys_env needs server.tls: gRPC checks API keys only on TLS ports, "
          "and a key sent in plaintext is a leaked key");
    }
    auto keys = ReadApiKeysFromEnv(config.admin_api_keys_env(), "server.admin_api_keys_env");
    if (!keys.ok()) return keys.status();
    security.admin_api_keys = *std::move(keys);
  }
  return security;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const GrpcServerSecurity& security, ApiKeyAuthProcessor::RejectionObserver on_rejected) {
  if (!security.tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      security.client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                     : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = security.client_ca_pem;
  options.pem_key_cert_pairs.push_back({security.private_key_pem, security.cert_chain_pem});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(options);
  if (security.checks_keys()) {
    credentials->SetAuthMetadataProcessor(std::make_shared<ApiKeyAuthProcessor>(
        security.api_keys, security.admin_api_keys, std::move(on_rejected)));
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFromConfig(const v1::ClientConfig& config,
                                                                 absl::string_view field,
                                                                 grpc::ChannelArguments arguments) {
  if (config.address().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ".address must not be empty"));
  }
  // Calls spread over every address the target resolves to (dns:///name:port, ipv4:a,b),
  // not only the first: replicas behind one name share the load. Each address's health is
  // watched (grpc.health.v1 Watch): a replica that starts draining reports NOT_SERVING and
  // gets no new calls, so none is in flight on the wire when it shuts down.
  arguments.SetServiceConfigJSON(
      R"({"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}})");
  if (!config.has_tls()) {
    if (!config.api_key_env().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ".api_key_env needs ", field, ".tls: a key sent in plaintext is a leaked key"));
    }
    return grpc::CreateCustomChannel(config.address(), grpc::InsecureChannelCredentials(),
                                     arguments);
  }
  const v1::ClientTlsConfig& tls = config.tls();
  grpc::SslCredentialsOptions options;
  if (!tls.ca_file().empty()) {
    auto ca = ReadPemCertificates(tls.ca_file(), absl::StrCat(field, ".tls.ca_file"));
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (tls.cert_file().empty() != tls.key_file().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ".tls.cert_file and ", field,
                                                      ".tls.key_file go together: set both "
                                                      "(mutual TLS) or neither"));
  }
  if (!tls.cert_file().empty()) {
    const std::string cert_field = absl::StrCat(field, ".tls.cert_file");
    const std::string key_field = absl::StrCat(field, ".tls.key_file");
    auto cert = ReadPemCertificates(tls.cert_file(), cert_field);
    if (!cert.ok()) return cert.status();
    auto key = ReadPemPrivateKey(tls.key_file(), key_field);
    if (!key.ok()) return key.status();
    absl::Status pair = CheckKeyMatchesCertificate(*cert, *key, cert_field, key_field);
    if (!pair.ok()) return pair;
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  if (!tls.server_name().empty()) {
    arguments.SetSslTargetNameOverride(tls.server_name());
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  if (!config.api_key_env().empty()) {
    auto key = ReadSecretFromEnv(config.api_key_env());
    if (!key.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ".api_key_env: ", key.status().message()));
    }
    credentials = grpc::CompositeChannelCredentials(credentials, ApiKeyCallCredentials(*key));
  }
  return grpc::CreateCustomChannel(config.address(), credentials, arguments);
}

}  // namespace cascade
