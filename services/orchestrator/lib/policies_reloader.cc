#include "services/orchestrator/lib/policies_reloader.h"

#include <chrono>

#include "absl/strings/str_join.h"
#include "common/log/logger.h"

namespace cascade::orchestrator {

PoliciesReloader::PoliciesReloader(v1::OrchestratorConfig config, absl::Duration interval,
                                   FileSignature baseline,
                                   std::shared_ptr<Orchestrator> orchestrator,
                                   CascadeObserver* observer)
    : config_(std::move(config)),
      orchestrator_(std::move(orchestrator)),
      observer_(observer),
      watcher_(config_.policies_file(),
               std::chrono::milliseconds(absl::ToInt64Milliseconds(interval)), baseline,
               [this] { Reload(); }) {}

void PoliciesReloader::Reload() {
  auto settings = SettingsFromConfig(config_);
  if (!settings.ok()) {
    observer_->RecordPoliciesReload(false);
    LogWarn("policies_reload_failed", {{"path", config_.policies_file()},
                                       {"error", std::string(settings.status().message())}});
    return;
  }
  std::vector<std::string> names;
  for (const auto& policy : settings->policies) names.push_back(policy.name);
  orchestrator_->ReplacePolicies(std::move(settings->policies));
  observer_->RecordPoliciesReload(true);
  LogInfo("policies_reloaded",
          {{"path", config_.policies_file()}, {"policies", absl::StrJoin(names, ", ")}});
}

}  // namespace cascade::orchestrator
