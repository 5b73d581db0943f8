#pragma once

// From a checked config to a running Orchestrator over real gRPC clients (one channel per
// tier worker, the router and the judge), with its decision log and its policies file
// watched. Errors are FAILED_PRECONDITION naming the field.

#include <prometheus/registry.h>

#include <memory>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/policies_reloader.h"

namespace cascade::orchestrator {

struct BuiltOrchestrator {
  std::shared_ptr<Orchestrator> orchestrator;
  // Set with a policies_file: keeps the orchestrator's policies in step with the file.
  std::shared_ptr<PoliciesReloader> reloader;
};

absl::StatusOr<BuiltOrchestrator> BuildOrchestrator(const v1::OrchestratorConfig& config,
                                                    prometheus::Registry* registry);

}  // namespace cascade::orchestrator
