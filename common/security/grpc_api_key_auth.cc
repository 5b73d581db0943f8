#include "common/security/grpc_api_key_auth.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/security/api_keys.h"

namespace cascade {
namespace {

constexpr char kAuthorization[] = "authorization";
constexpr absl::string_view kHealthPrefix = "/grpc.health.v1.Health/";

absl::string_view View(const grpc::string_ref& ref) { return {ref.data(), ref.size()}; }

class ApiKeyPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit ApiKeyPlugin(std::string key) : header_("Bearer " + std::move(key)) {}
  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "cascade-api-key"; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<std::string, std::string>* metadata) override {
    metadata->emplace(kAuthorization, header_);
    return grpc::Status::OK;
  }
  // What gRPC prints when it describes the credentials: never the key.
  std::string DebugString() override { return "cascade API key (redacted)"; }

 private:
  std::string header_;
};

}  // namespace

ApiKeyAuthProcessor::ApiKeyAuthProcessor(std::vector<std::string> keys,
                                         std::vector<std::string> admin_keys,
                                         RejectionObserver on_rejected)
    : keys_(std::move(keys)),
      admin_keys_(std::move(admin_keys)),
      on_rejected_(std::move(on_rejected)) {}

grpc::Status ApiKeyAuthProcessor::Process(const InputMetadata& auth_metadata,
                                          grpc::AuthContext* context,
                                          OutputMetadata* consumed_auth_metadata, OutputMetadata*) {
  std::string method;
  if (auto path = auth_metadata.find(":path"); path != auth_metadata.end()) {
    method = std::string(View(path->second));
  }
  if (absl::StartsWith(method, kHealthPrefix)) return grpc::Status::OK;

  auto header = auth_metadata.find(kAuthorization);
  const char* reason = "missing";
  if (header != auth_metadata.end()) {
    const absl::string_view key = BearerKey(View(header->second));
    // Both lists are compared in full, so the time taken tells nothing of which one matched.
    const bool admin = ApiKeyAccepted(admin_keys_, key);
    const bool client = ApiKeyAccepted(keys_, key);
    if (admin || client) {
      if (admin && context != nullptr) context->AddProperty(kApiKeyRoleProperty, kAdminRole);
      // Handlers never see the key, so none can log it.
      consumed_auth_metadata->emplace(kAuthorization, std::string(View(header->second)));
      return grpc::Status::OK;
    }
    reason = "wrong";
  }
  if (on_rejected_) on_rejected_(method, reason);
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong API key: send metadata `authorization: Bearer KEY`");
}

std::shared_ptr<grpc::CallCredentials> ApiKeyCallCredentials(std::string key) {
  return grpc::MetadataCredentialsFromPlugin(std::make_unique<ApiKeyPlugin>(std::move(key)));
}

}  // namespace cascade
