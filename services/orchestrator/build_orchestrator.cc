#include "services/orchestrator/build_orchestrator.h"

#include "absl/strings/str_cat.h"
#include "services/orchestrator/answer_cache_embedder.h"
#include "services/orchestrator/cascade_metrics.h"
#include "services/orchestrator/grpc_clients.h"

namespace cascade::orchestrator {

absl::StatusOr<BuiltOrchestrator> BuildOrchestrator(const v1::OrchestratorConfig& config,
                                                    prometheus::Registry* registry) {
  // Before the file is read, so that a change made meanwhile is not missed.
  const FileSignature policies_baseline = ReadFileSignature(config.policies_file());
  auto settings = SettingsFromConfig(config);
  if (!settings.ok()) return settings.status();
  OrchestratorClients clients;
  for (int i = 0; i < config.tiers_size(); ++i) {
    const v1::OrchestratorTierConfig& tier = config.tiers(i);
    auto channel = MakeChannel(tier.endpoint(), absl::StrCat("tiers[", i, "].endpoint"));
    if (!channel.ok()) return channel.status();
    clients.tiers[tier.name()] = std::make_shared<GrpcTierClient>(*std::move(channel));
  }
  if (!settings->router_address.empty()) {
    auto channel = MakeChannel(config.router(), "router");
    if (!channel.ok()) return channel.status();
    clients.router = std::make_shared<GrpcRouterClient>(*std::move(channel));
  }
  if (!settings->judge_address.empty()) {
    auto channel = MakeChannel(config.judge(), "judge");
    if (!channel.ok()) return channel.status();
    clients.judge = std::make_shared<GrpcJudgeClient>(*std::move(channel));
  }
  auto cache_embedder = MakeAnswerCacheEmbedder(config.answer_cache());
  if (!cache_embedder.ok()) return cache_embedder.status();
  clients.cache_embedder = *std::move(cache_embedder);
  auto metrics = std::make_shared<CascadeMetrics>(registry);
  std::shared_ptr<DecisionLog> decision_log;
  if (settings->decision_log) {
    auto opened = DecisionLog::Open(*settings->decision_log, metrics.get());
    if (!opened.ok()) return opened.status();
    decision_log = *std::move(opened);
  }
  const std::string policies_file = settings->policies_file;
  const absl::Duration poll_interval = settings->policies_poll_interval;
  BuiltOrchestrator built;
  built.orchestrator =
      std::make_shared<Orchestrator>(*std::move(settings), std::move(clients), metrics);
  if (decision_log) built.orchestrator->SetDecisionLog(std::move(decision_log));
  if (!policies_file.empty()) {
    built.reloader = std::make_shared<PoliciesReloader>(config, poll_interval, policies_baseline,
                                                        built.orchestrator, metrics.get());
  }
  return built;
}

}  // namespace cascade::orchestrator
