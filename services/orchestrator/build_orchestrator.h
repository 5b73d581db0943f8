#pragma once

// From a checked config to a running Orchestrator over real gRPC clients (one channel per
// tier worker, the router and the judge). Errors are FAILED_PRECONDITION naming the field.

#include <prometheus/registry.h>

#include <memory>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/orchestrator/lib/orchestrator.h"

namespace cascade::orchestrator {

absl::StatusOr<std::shared_ptr<Orchestrator>> BuildOrchestrator(
    const v1::OrchestratorConfig& config, prometheus::Registry* registry);

}  // namespace cascade::orchestrator
