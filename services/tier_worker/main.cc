// cascade-tier-worker: Tier worker: one rung of the cascade, one model and its price, fronting an
// OpenAI-compatible API or the inference service.

#include "cascade/v1/tier.grpc.pb.h"
#include "common/runtime/service_main.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::TierWorkerConfig>(
      argc, argv, "tier-worker",
      {.binary = "cascade-tier-worker",
       .summary = "Tier worker: one rung of the cascade, one model and its price, fronting an "
                  "OpenAI-compatible API or the inference service.",
       .has_http_listen = false,
       .config_type = ""},
      [](const cascade::v1::TierWorkerConfig&,
         const cascade::ServiceEnvironment&) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        // Not built yet: every method answers UNIMPLEMENTED.
        parts.services.push_back(std::make_unique<cascade::v1::TierWorker::CallbackService>());
        return parts;
      });
}
