// cascade-router: Semantic router: embeds a query and picks a route and a starting tier from a
// FAISS index of route exemplars.

#include "cascade/v1/router.grpc.pb.h"
#include "common/runtime/service_main.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::RouterConfig>(
      argc, argv, "router",
      {.binary = "cascade-router",
       .summary = "Semantic router: embeds a query and picks a route and a starting tier from a "
                  "FAISS index of route exemplars.",
       .has_http_listen = false,
       .config_type = ""},
      [](const cascade::v1::RouterConfig&,
         const cascade::ServiceEnvironment&) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        // Not built yet: every method answers UNIMPLEMENTED.
        parts.services.push_back(std::make_unique<cascade::v1::Router::CallbackService>());
        return parts;
      });
}
