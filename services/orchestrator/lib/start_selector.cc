#include "services/orchestrator/lib/start_selector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"

namespace cascade::orchestrator {
namespace {

std::string LastUserMessage(const v1::CascadeRequest& request) {
  for (int i = request.messages_size() - 1; i >= 0; --i) {
    if (request.messages(i).role() == "user") return request.messages(i).content();
  }
  return request.messages(request.messages_size() - 1).content();
}

}  // namespace

absl::StatusOr<CascadeStart> StartSelector::Choose(const v1::CascadeRequest& request,
                                                   const RequestPlan& plan,
                                                   const CascadeCall& call) const {
  CascadeStart start;
  // The label is a metric label: only a route the router knows may become one, never the
  // client's text.
  start.route_label = "none";
  if (plan.client_start) {
    start.first = *plan.client_start;
    start.why = "client_start_tier";
    return start;
  }
  const PolicySettings& policy = *plan.policy;
  if (!policy.routing || router_ == nullptr) {
    if (!request.route_hint().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "route_hint '", request.route_hint(), "' needs routing, and ",
          router_ == nullptr ? "no router is configured"
                             : absl::StrCat("policy '", policy.name, "' has routing off")));
    }
    return start;
  }
  DownstreamCall router_call{std::min(plan.deadline, clock_() + router_timeout_), call.request_id,
                             call.cancellation};
  auto answer = Decide(request, router_call);
  if (!answer.ok()) return answer.status();
  if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
  if (!answer->status.ok()) {
    start.route_label = "router_unavailable";
    start.why = "router_unavailable";
    LogWarn("router_unavailable",
            {{"request_id", call.request_id}, {"error", answer->status.ToString()}});
    return start;
  }
  start = FromDecision(answer->decision, policy, call.request_id);
  if (!request.route_hint().empty()) {
    start.route_score.reset();  // A hint is looked up, not scored.
  }
  // A route may start above the client's max_tier: the client's cap wins.
  if (start.first > plan.last) {
    start.first = plan.last;
    start.why += "+max_tier";
  }
  return start;
}

absl::StatusOr<StartSelector::RouterAnswer> StartSelector::Decide(
    const v1::CascadeRequest& request, const DownstreamCall& router_call) const {
  RouterAnswer answer;
  if (request.route_hint().empty()) {
    auto routed = router_->Route(LastUserMessage(request), router_call);
    answer.status = routed.status();
    if (routed.ok()) answer.decision = *std::move(routed);
    return answer;
  }
  auto routes = router_->ListRoutes(router_call);
  if (!routes.ok()) {
    answer.status = routes.status();
    return answer;
  }
  auto it = std::find_if(routes->routes().begin(), routes->routes().end(),
                         [&](const v1::RouteSpec& r) { return r.name() == request.route_hint(); });
  if (it == routes->routes().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("route_hint '", request.route_hint(), "' is not a route of the router"));
  }
  answer.decision.set_route(it->name());
  if (it->has_start_tier()) answer.decision.set_start_tier(it->start_tier());
  if (it->has_fixed_tier()) answer.decision.set_fixed_tier(it->fixed_tier());
  return answer;
}

CascadeStart StartSelector::FromDecision(const v1::RouteDecision& decision,
                                         const PolicySettings& policy,
                                         const std::string& request_id) const {
  CascadeStart start;
  start.route = decision.route();
  start.route_label = decision.route().empty() ? "none" : decision.route();
  start.route_score = decision.score();
  start.why = "route_names_no_tier";
  const std::string target =
      decision.has_fixed_tier() ? decision.fixed_tier() : decision.start_tier();
  if (target.empty()) return start;
  const int index = TierIndex(policy, target);
  if (index < 0) {
    LogWarn("route_tier_unknown", {{"request_id", request_id},
                                   {"route", decision.route()},
                                   {"tier", target},
                                   {"policy", policy.name}});
    start.why = "route_tier_unknown";
    return start;
  }
  start.first = index;
  start.fixed = decision.has_fixed_tier();
  start.why = start.fixed ? "route_fixed_tier" : "route_start_tier";
  return start;
}

}  // namespace cascade::orchestrator
