#pragma once

// Where the climb starts: the client's start_tier, else the route the router picks for the
// last user message (or the client's route_hint), else the first tier. A policy with
// `start: learned` asks the router for each tier's chance on the query instead, and starts
// where the expected cost is lowest (learned_start.h). Routing is an optimisation: a router
// that fails or times out never fails the request (the cascade then starts at the first
// tier, labelled "router_unavailable").

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "services/orchestrator/lib/cascade_handler.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/request_plan.h"

namespace cascade::orchestrator {

struct CascadeStart {
  std::string route;  // For the response.
  std::string
      route_label;     // For metrics: a route the router knows, "none" or "router_unavailable".
  int first = 0;       // Index in the policy's tiers, never above the plan's last.
  bool fixed = false;  // Only `first` is tried.
  // Why it starts there, for the decision log: "client_start_tier", "routing_off",
  // "router_unavailable", "route_start_tier", "route_fixed_tier", "route_names_no_tier",
  // "route_tier_unknown"; "+max_tier" when the client's max_tier lowered it; with
  // `start: learned`, "learned_start", "learned_no_exemplars" or "learned_no_price".
  std::string why = "routing_off";
  std::optional<double> route_score;  // The router's similarity, when it routed.
  // `start: learned`, or a rule that weighs them: the router's estimates (policy order);
  // with `start: learned`, the tiers skipped below `first` because of them.
  std::vector<v1::TierEstimate> estimates;
  bool estimates_asked = false;  // The router was asked, whatever it answered.
  // A rule that weighs the estimates got none, and why: "no_router", "router_error" (down,
  // timed out) or "no_estimates" (the router answered without one for the policy's tiers,
  // e.g. no exemplars). Empty when they came or were not needed.
  std::string estimates_missing;
  std::vector<std::string> skipped;
};

// The expected cost of trying `tier` for `request` in pico-USD; nullopt when its price is
// not known.
using AttemptCost = std::function<std::optional<double>(
    const v1::CascadeRequest& request, const std::string& tier, const std::string& request_id)>;

class StartSelector {
 public:
  // `router` may be null (no routing). `attempt_cost` prices tiers for `start: learned`.
  StartSelector(RouterClient* router, absl::Duration router_timeout,
                std::function<absl::Time()> clock, AttemptCost attempt_cost)
      : router_(router),
        router_timeout_(router_timeout),
        clock_(std::move(clock)),
        attempt_cost_(std::move(attempt_cost)) {}

  // Errors: INVALID_ARGUMENT for a route_hint that cannot be honoured, CANCELLED. When a
  // rule of the policy weighs the router's estimate, the start carries the estimates.
  absl::StatusOr<CascadeStart> Choose(const v1::CascadeRequest& request, const RequestPlan& plan,
                                      const CascadeCall& call) const;

 private:
  absl::StatusOr<CascadeStart> ChooseFirst(const v1::CascadeRequest& request,
                                           const RequestPlan& plan, const CascadeCall& call) const;
  // For a rule that weighs them: the router's estimates, in the policy's order, unless the
  // start already asked. Without them such a rule does not pass (logged).
  void AddEstimates(const v1::CascadeRequest& request, const RequestPlan& plan,
                    const CascadeCall& call, CascadeStart& start) const;
  struct RouterAnswer {
    absl::Status status;  // The router's: not OK when it failed.
    v1::RouteDecision decision;
  };
  // The router's decision for the request: by its route_hint (ListRoutes) or by meaning.
  // INVALID_ARGUMENT for a hint the router does not know (the client's mistake).
  absl::StatusOr<RouterAnswer> Decide(const v1::CascadeRequest& request,
                                      const DownstreamCall& router_call) const;
  // The decision's tier as a start in the policy; the first tier when it names none or one
  // the policy lacks (logged).
  CascadeStart FromDecision(const v1::RouteDecision& decision, const PolicySettings& policy,
                            const std::string& request_id) const;
  // `start: learned`: the tier whose expected climb cost is lowest, from the router's
  // estimates; the first tier (with why = "learned_*") when they cannot be had.
  CascadeStart Learned(const v1::CascadeRequest& request, const RequestPlan& plan,
                       const DownstreamCall& router_call) const;

  RouterClient* router_;
  absl::Duration router_timeout_;
  std::function<absl::Time()> clock_;
  AttemptCost attempt_cost_;
};

}  // namespace cascade::orchestrator
