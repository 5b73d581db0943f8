#include "common/security/admin_access.h"

#include "absl/strings/str_cat.h"
#include "common/security/grpc_api_key_auth.h"

namespace cascade {

AdminAccess AdminAccessOf(const v1::ServerConfig& config) {
  if (!config.admin_api_keys_env().empty()) return AdminAccess::kAdminKeys;
  if (!config.api_keys_env().empty()) return AdminAccess::kNobody;
  return AdminAccess::kOpen;
}

absl::Status CheckAdminCall(AdminAccess access, const grpc::ServerContextBase& context,
                            absl::string_view what) {
  switch (access) {
    case AdminAccess::kOpen:
      return absl::OkStatus();
    case AdminAccess::kNobody:
      return absl::PermissionDeniedError(absl::StrCat(
          what,
          " need an admin key, and this server has none: set server.admin_api_keys_env "
          "and call with one of its keys"));
    case AdminAccess::kAdminKeys:
      break;
  }
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    for (const grpc::string_ref& role : auth->FindPropertyValues(kApiKeyRoleProperty)) {
      if (absl::string_view(role.data(), role.size()) == kAdminRole) return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      what, " need an admin key (server.admin_api_keys_env): this call's key is a client's"));
}

}  // namespace cascade
