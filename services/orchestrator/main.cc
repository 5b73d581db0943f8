// cascade-orchestrator: the front door. Routes a request, calls tier workers cheapest
// first and climbs while confidence is too low.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cascade/v1/cascade.grpc.pb.h"
#include "common/grpc_runtime/service_main.h"
#include "common/security/admin_access.h"
#include "services/orchestrator/answer_cache_admin_service.h"
#include "services/orchestrator/build_orchestrator.h"
#include "services/orchestrator/cascade_service.h"
#include "services/orchestrator/front_door/http_front_door.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::OrchestratorConfig>(
      argc, argv, "orchestrator",
      {.binary = "cascade-orchestrator",
       .summary =
           "Cascade orchestrator: routes each request, calls tier workers cheapest first "
           "and\nclimbs while the answer's confidence is too low. Serves cascade.v1.Cascade "
           "over gRPC\n(and cascade.v1.AnswerCacheAdmin) and an OpenAI-compatible HTTP front door.",
       .has_http_listen = true,
       .config_type = ""},
      [](const cascade::v1::OrchestratorConfig& config,
         const cascade::ServiceEnvironment& env) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        // Without tiers and policies every request answers FAILED_PRECONDITION saying so.
        auto built = cascade::orchestrator::BuildOrchestrator(config, env.registry.get());
        if (!built.ok()) return built.status();
        const auto& handler = built->orchestrator;
        const int max_in_flight = config.max_concurrent_requests();
        if (max_in_flight < 0 || max_in_flight > 65536) {
          return absl::FailedPreconditionError(
              "max_concurrent_requests must be between 1 and 65536 (0: the default, 1024)");
        }
        parts.services.push_back(std::make_unique<cascade::orchestrator::CascadeService>(
            handler, max_in_flight > 0
                         ? max_in_flight
                         : cascade::orchestrator::CascadeService::kDefaultMaxInFlight));
        // The cache's admin RPCs, on the same port; the admin shares the handler's life.
        parts.services.push_back(std::make_unique<cascade::orchestrator::AnswerCacheAdminService>(
            std::shared_ptr<cascade::orchestrator::AnswerCacheAdmin>(handler,
                                                                     &handler->cache_admin()),
            cascade::AdminAccessOf(config.server())));
        // The registry holds the cascade's metrics; the handler records into it until the end.
        parts.keep_alive.push_back(env.registry);
        parts.keep_alive.push_back(handler);
        // Holds the handler too, so it stops watching before the handler can go.
        if (built->reloader) parts.keep_alive.push_back(built->reloader);
        auto front_door_options = cascade::HttpFrontDoorOptionsFromConfig(config.http());
        if (!front_door_options.ok()) return front_door_options.status();
        // An alias of a policy that does not exist is a typo: refuse it at start.
        const std::vector<std::string> policies = handler->PolicyNames();
        for (const auto& [alias, policy] : front_door_options->model_aliases) {
          if (std::find(policies.begin(), policies.end(), policy) == policies.end()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "http.model_aliases: '", alias, "' names policy '", policy,
                "', which is not configured (policies: ", absl::StrJoin(policies, ", "), ")"));
          }
        }
        // The door is shut down in the drain, before the handler it calls is released.
        auto front_door = cascade::HttpFrontDoor::Start(env.http_address, *front_door_options,
                                                        handler.get(), env.registry.get());
        if (!front_door.ok()) return front_door.status();
        parts.http = *std::move(front_door);
        return parts;
      });
}
