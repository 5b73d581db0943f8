#include "services/orchestrator/orchestrator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/logger.h"
#include "common/validation/generation_params.h"

namespace cascade::orchestrator {
namespace {

// Output tokens assumed for the budget when the request sets no max_tokens.
constexpr int64_t kAssumedMaxTokens = 256;

std::string OutcomeLabel(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
}

absl::Status ValidateRequest(const v1::CascadeRequest& request) {
  if (request.messages().empty()) {
    return absl::InvalidArgumentError("messages: at least one message is required");
  }
  for (int i = 0; i < request.messages_size(); ++i) {
    const auto& role = request.messages(i).role();
    if (role != "system" && role != "user" && role != "assistant") {
      return absl::InvalidArgumentError(absl::StrCat(
          "messages[", i, "].role '", role, "' must be \"system\", \"user\" or \"assistant\""));
    }
    if (!IsValidUtf8(request.messages(i).content())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].content is not valid UTF-8"));
    }
  }
  if (request.has_threshold_override() &&
      !(request.threshold_override() >= 0 && request.threshold_override() <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("threshold_override ", request.threshold_override(), " must be in [0, 1]"));
  }
  if (request.has_budget_pusd() && request.budget_pusd() < 0) {
    return absl::InvalidArgumentError("budget_pusd must be >= 0");
  }
  // The tiers' own checks, before anything is spent: a request every tier would refuse
  // must not look like a broken cascade (UNAVAILABLE) or trip their circuit breakers.
  return ValidateGenerationParams(request.params());
}

int TierIndex(const PolicySettings& policy, const std::string& tier) {
  for (size_t i = 0; i < policy.tiers.size(); ++i) {
    if (policy.tiers[i].tier == tier) return static_cast<int>(i);
  }
  return -1;
}

std::string TierNames(const PolicySettings& policy) {
  std::vector<std::string> names;
  for (const auto& tier : policy.tiers) names.push_back(tier.tier);
  return absl::StrJoin(names, ", ");
}

std::string LastUserMessage(const v1::CascadeRequest& request) {
  for (int i = request.messages_size() - 1; i >= 0; --i) {
    if (request.messages(i).role() == "user") return request.messages(i).content();
  }
  return request.messages(request.messages_size() - 1).content();
}

}  // namespace

Orchestrator::Orchestrator(OrchestratorSettings settings, OrchestratorClients clients,
                           prometheus::Registry* registry, std::function<absl::Time()> clock)
    : settings_(std::move(settings)),
      clients_(std::move(clients)),
      clock_(std::move(clock)),
      metrics_(registry),
      acceptance_(clients_.judge.get()),
      prices_(TierPrices::Options(), clock_) {
  for (const auto& tier : settings_.tiers) {
    prices_.AddTier(tier.name, clients_.tiers[tier.name], tier.fallback_price);
    std::string name = tier.name;
    breakers_[tier.name] =
        std::make_unique<CircuitBreaker>(settings_.breaker, clock_, [this, name](bool open) {
          metrics_.SetCircuitOpen(name, open);
          LogWarn(open ? "circuit_opened" : "circuit_closed", {{"tier", name}});
        });
    metrics_.SetCircuitOpen(tier.name, false);
  }
}

std::vector<std::string> Orchestrator::PolicyNames() const {
  std::vector<std::string> names;
  for (const auto& policy : settings_.policies) names.push_back(policy.name);
  return names;
}

absl::StatusOr<v1::CascadeResponse> Orchestrator::Complete(const v1::CascadeRequest& request,
                                                           const CascadeCall& call) {
  absl::Time began = clock_();
  auto finish = [&](const absl::StatusOr<v1::CascadeResponse>& result, const std::string& route) {
    const std::string final_tier = result.ok() ? result->final_tier() : "";
    metrics_.RecordRequest(route, final_tier, OutcomeLabel(result.status()),
                           absl::ToDoubleSeconds(clock_() - began));
    nlohmann::json line = {{"request_id", call.request_id},
                           {"tenant", request.tenant()},
                           {"policy", request.policy()},
                           {"route", route},
                           {"outcome", OutcomeLabel(result.status())},
                           {"seconds", absl::ToDoubleSeconds(clock_() - began)}};
    if (result.ok()) {
      metrics_.RecordCost(route, result->cost_pusd(), result->baseline_cost_pusd());
      line["final_tier"] = final_tier;
      line["steps"] = result->steps_size();
      line["cost_pusd"] = result->cost_pusd();
      line["baseline_cost_pusd"] = result->baseline_cost_pusd();
      line["savings_pusd"] = result->savings_pusd();
      if (!result->stopped_reason().empty()) line["stopped_reason"] = result->stopped_reason();
    } else {
      line["error"] = result.status().ToString();
    }
    Logger::Log(result.ok() ? LogLevel::kInfo : LogLevel::kWarn, "cascade_request", line);
    return result;
  };

  if (absl::Status valid = ValidateRequest(request); !valid.ok()) return finish(valid, "none");
  const PolicySettings* policy = nullptr;
  if (settings_.policies.empty()) {
    return finish(absl::FailedPreconditionError(
                      "the orchestrator has no cascade policy configured (config: tiers, "
                      "policies)"),
                  "none");
  }
  if (request.policy().empty()) {
    policy = &settings_.policies.front();
  } else {
    for (const auto& candidate : settings_.policies) {
      if (candidate.name == request.policy()) policy = &candidate;
    }
    if (policy == nullptr) {
      return finish(absl::NotFoundError(absl::StrCat("policy '", request.policy(),
                                                     "' is not configured (policies: ",
                                                     absl::StrJoin(PolicyNames(), ", "), ")")),
                    "none");
    }
  }
  absl::Time now = clock_();
  absl::Time deadline = call.deadline == absl::InfiniteFuture()
                            ? now + policy->default_deadline
                            : std::min(call.deadline, now + policy->max_deadline);
  if (deadline <= now) {
    return finish(absl::DeadlineExceededError("the request's deadline has already passed"), "none");
  }
  int last = static_cast<int>(policy->tiers.size()) - 1;
  if (!request.max_tier().empty()) {
    last = TierIndex(*policy, request.max_tier());
    if (last < 0) {
      return finish(absl::InvalidArgumentError(absl::StrCat(
                        "max_tier '", request.max_tier(), "' is not a tier of policy '",
                        policy->name, "' (tiers: ", TierNames(*policy), ")")),
                    "none");
    }
  }
  Start start;
  if (!request.start_tier().empty()) {
    start.first = TierIndex(*policy, request.start_tier());
    if (start.first < 0) {
      return finish(absl::InvalidArgumentError(absl::StrCat(
                        "start_tier '", request.start_tier(), "' is not a tier of policy '",
                        policy->name, "' (tiers: ", TierNames(*policy), ")")),
                    "none");
    }
    start.route_label = "none";
    if (start.first > last) {
      return finish(absl::InvalidArgumentError(absl::StrCat("start_tier '", request.start_tier(),
                                                            "' is above max_tier '",
                                                            request.max_tier(), "'")),
                    "none");
    }
  } else {
    auto routed = Route(request, *policy, deadline, call);
    if (!routed.ok()) return finish(routed.status(), "none");
    start = *std::move(routed);
    // A route may start above the client's max_tier: the client's cap wins.
    start.first = std::min(start.first, last);
  }
  return finish(Climb(request, *policy, start, last, deadline, call), start.route_label);
}

absl::StatusOr<Orchestrator::Start> Orchestrator::Route(const v1::CascadeRequest& request,
                                                        const PolicySettings& policy,
                                                        absl::Time deadline,
                                                        const CascadeCall& call) {
  Start start;
  // The label is a metric label: only a route the router knows may become one, never the
  // client's text.
  start.route_label = "none";
  if (!policy.routing || clients_.router == nullptr) {
    if (!request.route_hint().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "route_hint '", request.route_hint(), "' needs routing, and ",
          clients_.router == nullptr ? "no router is configured"
                                     : absl::StrCat("policy '", policy.name, "' has routing off")));
    }
    return start;
  }
  DownstreamCall router_call{std::min(deadline, clock_() + settings_.router_timeout),
                             call.request_id, call.cancellation};
  v1::RouteDecision decision;
  absl::Status status;
  if (!request.route_hint().empty()) {
    auto routes = clients_.router->ListRoutes(router_call);
    status = routes.status();
    if (routes.ok()) {
      auto it =
          std::find_if(routes->routes().begin(), routes->routes().end(),
                       [&](const v1::RouteSpec& r) { return r.name() == request.route_hint(); });
      if (it == routes->routes().end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("route_hint '", request.route_hint(), "' is not a route of the router"));
      }
      decision.set_route(it->name());
      if (it->has_start_tier()) decision.set_start_tier(it->start_tier());
      if (it->has_fixed_tier()) decision.set_fixed_tier(it->fixed_tier());
    }
  } else {
    auto routed = clients_.router->Route(LastUserMessage(request), router_call);
    status = routed.status();
    if (routed.ok()) decision = *std::move(routed);
  }
  if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
  if (!status.ok()) {
    // Routing is an optimisation: never fail a request for it.
    start.route_label = "router_unavailable";
    LogWarn("router_unavailable", {{"request_id", call.request_id}, {"error", status.ToString()}});
    return start;
  }
  start.route = decision.route();
  start.route_label = decision.route().empty() ? "none" : decision.route();
  std::string target = decision.has_fixed_tier() ? decision.fixed_tier() : decision.start_tier();
  if (target.empty()) return start;
  int index = TierIndex(policy, target);
  if (index < 0) {
    LogWarn("route_tier_unknown", {{"request_id", call.request_id},
                                   {"route", decision.route()},
                                   {"tier", target},
                                   {"policy", policy.name}});
    return start;
  }
  start.first = index;
  start.fixed = decision.has_fixed_tier();
  return start;
}

int64_t Orchestrator::ExpectedCost(const v1::CascadeRequest& request,
                                   const TierPrice& price) const {
  int64_t prompt_bytes = 0;
  for (const auto& message : request.messages()) prompt_bytes += message.content().size();
  int64_t prompt_tokens = (prompt_bytes + 3) / 4;
  int64_t output_tokens =
      request.params().max_tokens() > 0 ? request.params().max_tokens() : kAssumedMaxTokens;
  return prompt_tokens * price.input_uusd_per_mtok + output_tokens * price.output_uusd_per_mtok;
}

int64_t Orchestrator::Baseline(const PolicySettings& policy, const v1::Usage& usage, int64_t cost,
                               const std::string& request_id) {
  auto top = prices_.Get(policy.tiers.back().tier, request_id);
  if (!top) {
    // Nothing to price the top tier with: claim no saving rather than invent one.
    LogWarn("baseline_unpriced", {{"request_id", request_id}, {"tier", policy.tiers.back().tier}});
    return cost;
  }
  return usage.prompt_tokens() * top->price.input_uusd_per_mtok +
         usage.completion_tokens() * top->price.output_uusd_per_mtok;
}

}  // namespace cascade::orchestrator
