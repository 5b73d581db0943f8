#pragma once

// Who may call a server's admin RPCs (today the orchestrator's AnswerCacheAdmin), from its
// `server:` config. Tenants are not authenticated (CascadeRequest.tenant is a label the
// caller sets), so a client key cannot be scoped to one tenant's data: admin RPCs are for
// operators, and the keys say who is one.
//   - the port checks no keys (plaintext, or TLS without keys): every caller may, as every
//     caller may call every other RPC there (the network is the boundary);
//   - server.admin_api_keys_env set: only calls made with one of its keys;
//   - only server.api_keys_env set: nobody (a client key is a tenant's, not an operator's).

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "cascade/v1/config.pb.h"

namespace cascade {

enum class AdminAccess { kOpen, kAdminKeys, kNobody };

AdminAccess AdminAccessOf(const v1::ServerConfig& config);

// OK when the call of `context` may use an admin RPC; PERMISSION_DENIED saying what it
// needs otherwise. `what` names the RPCs in the message ("the answer cache's admin RPCs").
absl::Status CheckAdminCall(AdminAccess access, const grpc::ServerContextBase& context,
                            absl::string_view what);

}  // namespace cascade
