#pragma once

// API keys on gRPC metadata (`authorization: Bearer KEY`), both ends:
//  - ApiKeyAuthProcessor: the server's check. gRPC runs it before a call reaches its
//    handler, and only on TLS ports; a call without an accepted key gets UNAUTHENTICATED.
//    Health checks pass without a key (probes and load balancers carry none). A call made
//    with one of the admin keys carries the auth context property kApiKeyRoleProperty =
//    kAdminRole, which admin RPCs check (common/security/admin_access.h); the handler
//    still never sees the key.
//  - ApiKeyCallCredentials: the client's side, sending one key on every call.

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cascade {

// The auth context property the processor sets on a call made with an admin key. Only the
// server's processor writes auth context properties: a client cannot forge it.
inline constexpr char kApiKeyRoleProperty[] = "cascade_api_key_role";
inline constexpr char kAdminRole[] = "admin";

class ApiKeyAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  // Called for each refused call with its method ("/pkg.Service/Method", or "" when gRPC
  // did not say) and why ("missing" or "wrong"). Never with the key.
  using RejectionObserver = std::function<void(const std::string& method, const char* reason)>;

  // `keys`: the clients'; `admin_keys`: the operators', accepted too and marked admin.
  ApiKeyAuthProcessor(std::vector<std::string> keys, std::vector<std::string> admin_keys,
                      RejectionObserver on_rejected);

  // Compares keys in memory only: runs on gRPC's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> admin_keys_;
  RejectionObserver on_rejected_;
};

// Call credentials that add `authorization: Bearer KEY` to every call. Compose them with
// TLS channel credentials (gRPC sends call credentials only over a secure channel).
std::shared_ptr<grpc::CallCredentials> ApiKeyCallCredentials(std::string key);

}  // namespace cascade
