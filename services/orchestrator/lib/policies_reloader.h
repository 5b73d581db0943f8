#pragma once

// Rolls out a new version of the orchestrator's policies_file without a restart: watches the
// file, reads each new version as SettingsFromConfig would at start (every rule, tier name
// and the judge checked), and hands the policies to the orchestrator. A version that does
// not load is logged (`policies_reload_failed`, with the reason) and counted
// (cascade_policy_reloads_total{outcome="error"}); the policies in service stay.

#include <memory>

#include "cascade/v1/config.pb.h"
#include "common/io/file_watcher.h"
#include "services/orchestrator/lib/cascade_observer.h"
#include "services/orchestrator/lib/orchestrator.h"

namespace cascade::orchestrator {

class PoliciesReloader {
 public:
  // `config` names the policies_file and holds the tiers its policies must use. `baseline`:
  // the file as the orchestrator's policies were read from it (take it before reading).
  PoliciesReloader(v1::OrchestratorConfig config, absl::Duration interval, FileSignature baseline,
                   std::shared_ptr<Orchestrator> orchestrator, CascadeObserver* observer);

  // Reads the file now and applies it; what each change does.
  void Reload();

 private:
  const v1::OrchestratorConfig config_;
  std::shared_ptr<Orchestrator> orchestrator_;
  CascadeObserver* observer_;
  FileWatcher watcher_;  // Last: its thread calls Reload() on the members above.
};

}  // namespace cascade::orchestrator
