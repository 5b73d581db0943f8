#include "services/orchestrator/build_orchestrator.h"

#include "services/orchestrator/grpc_clients.h"

namespace cascade::orchestrator {

absl::StatusOr<std::shared_ptr<Orchestrator>> BuildOrchestrator(
    const v1::OrchestratorConfig& config, prometheus::Registry* registry) {
  auto settings = SettingsFromConfig(config);
  if (!settings.ok()) return settings.status();
  OrchestratorClients clients;
  for (const auto& tier : settings->tiers) {
    clients.tiers[tier.name] = std::make_shared<GrpcTierClient>(MakeChannel(tier.address));
  }
  if (!settings->router_address.empty()) {
    clients.router = std::make_shared<GrpcRouterClient>(MakeChannel(settings->router_address));
  }
  if (!settings->judge_address.empty()) {
    clients.judge = std::make_shared<GrpcJudgeClient>(MakeChannel(settings->judge_address));
  }
  return std::make_shared<Orchestrator>(*std::move(settings), std::move(clients), registry);
}

}  // namespace cascade::orchestrator
