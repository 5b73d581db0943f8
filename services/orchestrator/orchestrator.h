#pragma once

// The cascade: routes a request, calls the policy's tiers cheapest first and climbs while
// the answer's confidence is too low, within the request's limits (tiers, budget,
// deadline), skipping tiers that fail or whose circuit is open. Plain C++ over the client
// interfaces of clients.h; the gRPC and HTTP front doors translate into Complete().
//
// Rules (README "Orchestrator"):
// - Deadline: the client's, cut to the policy's max_deadline (default_deadline when the
//   client set none). A tier that is not the last one that can be tried gets half of the
//   time left, so the tiers above it keep the other half; the last gets all of it.
// - Budget: before each tier, its expected cost (prompt bytes / 4 tokens at its input price
//   plus max_tokens, or 256 when unset, at its output price) must fit in what is left;
//   otherwise climbing stops with stopped_reason "budget".
// - Routing: the router gets router_timeout; when it fails the cascade starts at the first
//   tier (route label "router_unavailable"). route_hint skips Route() and looks the route
//   up with ListRoutes.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/orchestrator/acceptance_check.h"
#include "services/orchestrator/cascade_handler.h"
#include "services/orchestrator/cascade_metrics.h"
#include "services/orchestrator/circuit_breaker.h"
#include "services/orchestrator/clients.h"
#include "services/orchestrator/orchestrator_settings.h"
#include "services/orchestrator/tier_prices.h"

namespace cascade::orchestrator {

struct OrchestratorClients {
  std::map<std::string, std::shared_ptr<TierClient>> tiers;  // By tier name.
  std::shared_ptr<RouterClient> router;                      // May be null.
  std::shared_ptr<JudgeClient> judge;                        // May be null.
};

class Orchestrator final : public CascadeHandler {
 public:
  Orchestrator(
      OrchestratorSettings settings, OrchestratorClients clients, prometheus::Registry* registry,
      std::function<absl::Time()> clock = [] { return absl::Now(); });

  absl::StatusOr<v1::CascadeResponse> Complete(const v1::CascadeRequest& request,
                                               const CascadeCall& call) override;
  std::vector<std::string> PolicyNames() const override;

 private:
  struct Start {
    std::string route;        // For the response.
    std::string route_label;  // For metrics: a route name, "none" or "router_unavailable".
    int first = 0;            // Index in the policy's tiers.
    bool fixed = false;       // Only `first` is tried.
  };
  struct Run;

  absl::StatusOr<Start> Route(const v1::CascadeRequest& request, const PolicySettings& policy,
                              absl::Time deadline, const CascadeCall& call);
  absl::StatusOr<v1::CascadeResponse> Climb(const v1::CascadeRequest& request,
                                            const PolicySettings& policy, const Start& start,
                                            int last, absl::Time deadline, const CascadeCall& call);
  int64_t ExpectedCost(const v1::CascadeRequest& request, const TierPrice& price) const;
  int64_t Baseline(const PolicySettings& policy, const v1::Usage& usage, int64_t cost,
                   const std::string& request_id);

  OrchestratorSettings settings_;
  OrchestratorClients clients_;
  std::function<absl::Time()> clock_;
  CascadeMetrics metrics_;
  AcceptanceCheck acceptance_;
  TierPrices prices_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>> breakers_;
};

}  // namespace cascade::orchestrator
