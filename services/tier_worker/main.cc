// cascade-tier-worker: one rung of the cascade, one model and its price, fronting an
// OpenAI-compatible API or the inference service.

#include "cascade/v1/tier.grpc.pb.h"
#include "common/grpc_runtime/service_main.h"
#include "services/tier_worker/tier_worker_config.h"
#include "services/tier_worker/tier_worker_service.h"
#include "services/tier_worker/unconfigured_service.h"

namespace {

absl::StatusOr<cascade::ServiceParts> BuildParts(const cascade::v1::TierWorkerConfig& config,
                                                 const cascade::ServiceEnvironment& env) {
  cascade::ServiceParts parts;
  if (config.backend_case() == cascade::v1::TierWorkerConfig::BACKEND_NOT_SET) {
    // A bare server (health, metrics, drain) for probes and deployment checks: every
    // method answers UNIMPLEMENTED, saying what is missing. Nothing is logged here: the
    // first line a server logs is "listening".
    parts.services.push_back(
        std::make_unique<cascade::tier_worker::UnconfiguredTierWorkerService>());
    return parts;
  }
  auto worker = cascade::tier_worker::BuildTierWorker(config, env.registry.get());
  if (!worker.ok()) return worker.status();
  cascade::tier_worker::TierWorkerServiceOptions options;
  options.default_timeout = cascade::tier_worker::DefaultTimeout(config);
  parts.services.push_back(std::make_unique<cascade::tier_worker::TierWorkerService>(
      std::shared_ptr<cascade::tier_worker::TierWorker>(*std::move(worker)), options));
  // The registry holds the tier's metrics; the worker records into it until the end.
  parts.keep_alive.push_back(env.registry);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::TierWorkerConfig>(
      argc, argv, "tier-worker",
      {.binary = "cascade-tier-worker",
       .summary = "Tier worker: one rung of the cascade, one model and its price, fronting an "
                  "OpenAI-compatible API or the inference service.",
       .has_http_listen = false,
       .config_type = ""},
      BuildParts);
}
