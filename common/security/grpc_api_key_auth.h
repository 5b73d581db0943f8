#pragma once

// API keys on gRPC metadata (`authorization: Bearer KEY`), both ends:
//  - ApiKeyAuthProcessor: the server's check. gRPC runs it before a call reaches its
//    handler, and only on TLS ports; a call without an accepted key gets UNAUTHENTICATED.
//    Health checks pass without a key (probes and load balancers carry none).
//  - ApiKeyCallCredentials: the client's side, sending one key on every call.

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/credentials.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cascade {

class ApiKeyAuthProcessor final : public grpc::AuthMetadataProcessor {
 public:
  // Called for each refused call with its method ("/pkg.Service/Method", or "" when gRPC
  // did not say) and why ("missing" or "wrong"). Never with the key.
  using RejectionObserver = std::function<void(const std::string& method, const char* reason)>;

  ApiKeyAuthProcessor(std::vector<std::string> keys, RejectionObserver on_rejected);

  // Compares keys in memory only: runs on gRPC's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  std::vector<std::string> keys_;
  RejectionObserver on_rejected_;
};

// Call credentials that add `authorization: Bearer KEY` to every call. Compose them with
// TLS channel credentials (gRPC sends call credentials only over a secure channel).
std::shared_ptr<grpc::CallCredentials> ApiKeyCallCredentials(std::string key);

}  // namespace cascade
