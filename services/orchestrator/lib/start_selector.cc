#include "services/orchestrator/lib/start_selector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "common/validation/chat_messages.h"
#include "services/orchestrator/lib/learned_start.h"

namespace cascade::orchestrator {
namespace {

// What the router is asked about: the last user message, else the last message.
std::string RoutingQuery(const v1::CascadeRequest& request) {
  std::string query = LastUserMessage(request.messages());
  if (query.empty()) query = request.messages(request.messages_size() - 1).content();
  return query;
}

}  // namespace

absl::StatusOr<CascadeStart> StartSelector::Choose(const v1::CascadeRequest& request,
                                                   const RequestPlan& plan,
                                                   const CascadeCall& call) const {
  auto start = ChooseFirst(request, plan, call);
  if (!start.ok() || !plan.policy->NeedsRouterEstimates()) return start;
  AddEstimates(request, plan, call, *start);
  if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
  return start;
}

void StartSelector::AddEstimates(const v1::CascadeRequest& request, const RequestPlan& plan,
                                 const CascadeCall& call, CascadeStart& start) const {
  if (start.estimates_asked) return;
  const PolicySettings& policy = *plan.policy;
  if (router_ == nullptr) {
    start.estimates_missing = "no_router";
    LogWarn("router_estimate_unavailable",
            {{"request_id", call.request_id}, {"policy", policy.name}, {"error", "no router"}});
    return;
  }
  DownstreamCall router_call{std::min(plan.deadline, clock_() + router_timeout_), call.request_id,
                             call.cancellation};
  start.estimates_asked = true;
  auto estimated = router_->EstimateTiers(RoutingQuery(request), policy.name, router_call);
  if (!estimated.ok()) {
    // The rules that weigh the estimate do not pass: the climb escalates, as the fitter's
    // simulation assumed for an answer without the signal.
    start.estimates_missing = "router_error";
    LogWarn("router_estimate_unavailable", {{"request_id", call.request_id},
                                            {"policy", policy.name},
                                            {"error", estimated.status().ToString()}});
    return;
  }
  for (const PolicyTier& tier : policy.tiers) {
    for (const v1::TierEstimate& estimate : estimated->estimates()) {
      if (estimate.tier() == tier.tier) start.estimates.push_back(estimate);
    }
  }
  if (start.estimates.empty()) {
    start.estimates_missing = "no_estimates";
    LogWarn("router_estimate_unavailable",
            {{"request_id", call.request_id},
             {"policy", policy.name},
             {"error", "the router has no estimate for the policy's tiers (no exemplars?)"}});
  }
}

absl::StatusOr<CascadeStart> StartSelector::ChooseFirst(const v1::CascadeRequest& request,
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
  if (policy.learned_start && request.route_hint().empty()) {
    start = Learned(request, plan, router_call);
    if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
    return start;
  }
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
    auto routed = router_->Route(RoutingQuery(request), router_call);
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

CascadeStart StartSelector::Learned(const v1::CascadeRequest& request, const RequestPlan& plan,
                                    const DownstreamCall& router_call) const {
  const PolicySettings& policy = *plan.policy;
  CascadeStart start;
  start.route_label = "learned";
  start.first = 0;
  start.estimates_asked = true;
  auto estimated = router_->EstimateTiers(RoutingQuery(request), policy.name, router_call);
  if (!estimated.ok()) {
    // Without estimates the climb is the plain cascade: nothing is lost but the saving.
    const bool none = absl::IsNotFound(estimated.status());
    start.route_label = none ? "learned_no_exemplars" : "router_unavailable";
    start.why = none ? "learned_no_exemplars" : "router_unavailable";
    LogWarn(none ? "learned_start_no_exemplars" : "router_unavailable",
            {{"request_id", router_call.request_id},
             {"policy", policy.name},
             {"error", estimated.status().ToString()}});
    return start;
  }
  const int last = plan.last;
  std::vector<double> success(policy.tiers.size(), 1.0);
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    auto found =
        std::find_if(estimated->estimates().begin(), estimated->estimates().end(),
                     [&](const v1::TierEstimate& e) { return e.tier() == policy.tiers[i].tier; });
    // A tier the exemplars never labelled keeps p = 1: it is never skipped for lack of
    // evidence, and the tiers below it are judged against it.
    if (found != estimated->estimates().end()) {
      success[i] = found->probability();
      start.estimates.push_back(*found);
    }
  }
  std::vector<double> cost(policy.tiers.size(), 0.0);
  for (int i = 0; i <= last; ++i) {
    const std::string& tier = policy.tiers[i].tier;
    std::optional<double> price =
        attempt_cost_ ? attempt_cost_(request, tier, router_call.request_id) : std::nullopt;
    if (!price) {
      // Nothing is skipped; the estimates stay for the trace and for rules that weigh them.
      start.why = "learned_no_price";
      LogWarn("learned_start_no_price",
              {{"request_id", router_call.request_id}, {"policy", policy.name}, {"tier", tier}});
      return start;
    }
    cost[i] = *price;
  }
  const LearnedStartChoice choice = ChooseLearnedStart(success, cost, 0, last);
  start.first = choice.first;
  start.why = "learned_start";
  for (int i = 0; i < choice.first; ++i) start.skipped.push_back(policy.tiers[i].tier);
  return start;
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
