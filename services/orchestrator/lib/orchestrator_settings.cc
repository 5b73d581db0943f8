#include "services/orchestrator/lib/orchestrator_settings.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/config_loader.h"
#include "common/config/proto_duration.h"
#include "services/orchestrator/lib/request_plan.h"

namespace cascade::orchestrator {
namespace {

absl::Status ConfigError(absl::string_view message) {
  return absl::FailedPreconditionError(message);
}

absl::StatusOr<AcceptanceRule> RuleFromConfig(const v1::AcceptanceConfig& config,
                                              const std::string& field) {
  AcceptanceRule rule;
  if (config.has_logprob()) {
    const auto& logprob = config.logprob();
    auto aggregate =
        LogprobConfidence::Parse(logprob.aggregate().empty() ? "mean" : logprob.aggregate());
    if (!aggregate.ok()) {
      return ConfigError(absl::StrCat(field, ".logprob.aggregate: ", aggregate.status().message()));
    }
    rule.logprob = *std::move(aggregate);
    if (!logprob.has_min() || std::isnan(logprob.min()) || logprob.min() > 0) {
      return ConfigError(absl::StrCat(field,
                                      ".logprob.min must be set and <= 0 (a raw log-probability "
                                      "aggregate, e.g. -1.5)"));
    }
    rule.logprob_min = logprob.min();
  }
  if (config.has_self_check()) {
    const auto& self_check = config.self_check();
    if (!self_check.has_min() || !(self_check.min() >= 0 && self_check.min() <= 1)) {
      return ConfigError(absl::StrCat(field,
                                      ".self_check.min must be set and in [0, 1] (the tier's "
                                      "own P(yes) of its answer, e.g. 0.8)"));
    }
    rule.self_check_min = self_check.min();
  }
  if (config.has_judge()) {
    const auto& judge = config.judge();
    if (!judge.has_min() || !(judge.min() >= 0 && judge.min() <= 1)) {
      return ConfigError(absl::StrCat(field, ".judge.min must be set and in [0, 1]"));
    }
    rule.judge_min = judge.min();
    for (const auto& method : judge.methods()) {
      if (method.empty()) return ConfigError(absl::StrCat(field, ".judge.methods: empty name"));
      rule.judge_methods.push_back(method);
    }
    if (rule.judge_methods.empty()) rule.judge_methods.push_back("llm");
  }
  if (config.has_calibrated()) {
    const auto& calibrated = config.calibrated();
    const double min = calibrated.min_probability();
    if (!calibrated.has_min_probability() || !(min >= 0 && min <= 1)) {
      return ConfigError(absl::StrCat(field,
                                      ".calibrated.min_probability must be set and in [0, 1] "
                                      "(the probability that the answer is right, e.g. 0.9)"));
    }
    auto map = CalibratedConfidence::Parse(calibrated, absl::StrCat(field, ".calibrated"));
    if (!map.ok()) return map.status();
    rule.calibrated = *std::move(map);
    rule.calibrated_min = min;
  }
  if (config.combine() == "or") {
    rule.combine_or = true;
  } else if (!config.combine().empty() && config.combine() != "and") {
    return ConfigError(
        absl::StrCat(field, ".combine '", config.combine(), "' must be \"and\" or \"or\""));
  }
  return rule;
}

absl::StatusOr<DecisionLogSettings> DecisionLogFromConfig(const v1::DecisionLogConfig& config) {
  DecisionLogSettings log;
  log.path = config.path();
  if (log.path.empty()) return ConfigError("decision_log.path must be set");
  if (config.max_bytes() < 0) return ConfigError("decision_log.max_bytes must be > 0");
  if (config.max_bytes() > 0) log.max_bytes = config.max_bytes();
  if (config.has_max_files()) {
    if (config.max_files() < 0 || config.max_files() > 1000) {
      return ConfigError("decision_log.max_files must be between 0 and 1000");
    }
    log.max_files = config.max_files();
  }
  if (config.queue_size() < 0 || config.queue_size() > 1'000'000) {
    return ConfigError("decision_log.queue_size must be between 1 and 1000000 (0: 10000)");
  }
  if (config.queue_size() > 0) log.queue_size = static_cast<size_t>(config.queue_size());
  log.include_prompt = config.include_prompt();
  return log;
}

// `policy`'s tiers are already read.
absl::StatusOr<ShadowSettings> ShadowFromConfig(const v1::ShadowConfig& config,
                                                const PolicySettings& policy,
                                                const std::string& field) {
  ShadowSettings shadow;
  shadow.rate = config.rate();
  if (!(shadow.rate > 0 && shadow.rate <= 1)) {
    return ConfigError(absl::StrCat(field, ".rate ", shadow.rate,
                                    " must be in (0, 1] (the share of answers re-asked)"));
  }
  auto micro_usd = UsdToMicroUsd(config.max_usd_per_hour(), "max_usd_per_hour");
  if (!micro_usd.ok() || *micro_usd <= 0) {
    return ConfigError(absl::StrCat(field, ".max_usd_per_hour ", config.max_usd_per_hour(),
                                    " must be > 0 (the most spent on shadow calls in an hour)"));
  }
  shadow.max_pusd_per_hour = *micro_usd * 1000000;
  shadow.tier = config.tier().empty() ? policy.tiers.back().tier : config.tier();
  shadow.judge = config.judge();
  const int index = TierIndex(policy, shadow.tier);
  if (index < 0) {
    return ConfigError(
        absl::StrCat(field, ".tier '", shadow.tier, "' is not a tier of this policy"));
  }
  if (index == 0) {
    return ConfigError(absl::StrCat(field, ".tier '", shadow.tier,
                                    "' is the policy's first tier: no answer comes from below it"));
  }
  return shadow;
}

absl::StatusOr<PolicySettings> PolicyFromConfig(const v1::CascadePolicyConfig& config,
                                                const std::set<std::string>& tier_names,
                                                const std::string& field) {
  PolicySettings policy;
  policy.name = config.name();
  if (policy.name.empty()) return ConfigError(absl::StrCat(field, ".name must not be empty"));
  if (config.tiers().empty()) {
    return ConfigError(absl::StrCat(field, " ('", policy.name, "') lists no tiers"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < config.tiers_size(); ++i) {
    const auto& tier = config.tiers(i);
    std::string tier_field = absl::StrCat(field, ".tiers[", i, "]");
    if (!tier_names.count(tier.tier())) {
      return ConfigError(absl::StrCat(
          tier_field, ".tier '", tier.tier(),
          "' is not a configured tier (tiers: ", absl::StrJoin(tier_names, ", "), ")"));
    }
    if (!seen.insert(tier.tier()).second) {
      return ConfigError(absl::StrCat(tier_field, ".tier '", tier.tier(), "' is listed twice"));
    }
    auto rule = RuleFromConfig(tier.accept(), absl::StrCat(tier_field, ".accept"));
    if (!rule.ok()) return rule.status();
    // The last tier always accepts: its rule would have nowhere to send a rejection.
    if (i + 1 == config.tiers_size()) *rule = AcceptanceRule();
    policy.tiers.push_back({tier.tier(), *std::move(rule)});
  }
  policy.routing = !config.has_routing() || config.routing();
  if (config.start() == "learned") {
    policy.learned_start = true;
    if (!policy.routing) {
      return ConfigError(
          absl::StrCat(field, ".start: learned asks the router, but routing is off"));
    }
  } else if (!config.start().empty() && config.start() != "route") {
    return ConfigError(
        absl::StrCat(field, ".start '", config.start(), "' is not one of route, learned"));
  }
  if (policy.NeedsRouterEstimates() && !policy.routing) {
    return ConfigError(absl::StrCat(
        field,
        ": a calibrated rule weighs router_estimate, which asks the router, but routing "
        "is off"));
  }
  if (config.has_shadow()) {
    auto shadow = ShadowFromConfig(config.shadow(), policy, absl::StrCat(field, ".shadow"));
    if (!shadow.ok()) return shadow.status();
    policy.shadow = *std::move(shadow);
  }
  auto cache = CachePolicyFromConfig(config.cache(), absl::StrCat(field, ".cache"));
  if (!cache.ok()) return cache.status();
  policy.cache = *std::move(cache);
  if (config.max_tiers() < 0) return ConfigError(absl::StrCat(field, ".max_tiers must be >= 0"));
  policy.max_tiers = config.max_tiers();
  if (config.has_default_deadline())
    policy.default_deadline = DurationFromProto(config.default_deadline());
  if (config.has_max_deadline()) policy.max_deadline = DurationFromProto(config.max_deadline());
  if (policy.default_deadline <= absl::ZeroDuration() ||
      policy.max_deadline <= absl::ZeroDuration()) {
    return ConfigError(absl::StrCat(field, ": default_deadline and max_deadline must be > 0"));
  }
  if (policy.default_deadline > policy.max_deadline) {
    return ConfigError(absl::StrCat(field, ".default_deadline must be <= max_deadline"));
  }
  if (config.has_default_budget_usd()) {
    auto budget = UsdToMicroUsd(config.default_budget_usd(), "default_budget_usd");
    if (!budget.ok()) return ConfigError(absl::StrCat(field, ".", budget.status().message()));
    // USD -> pico-USD is micro-USD * 1e6.
    policy.default_budget_pusd = *budget * 1000000;
  }
  if (config.has_default_temperature()) {
    if (!(config.default_temperature() >= 0 && config.default_temperature() <= 2)) {
      return ConfigError(absl::StrCat(field, ".default_temperature must be in [0, 2]"));
    }
    policy.default_temperature = config.default_temperature();
  }
  return policy;
}

absl::StatusOr<TierSettings> TierFromConfig(const v1::OrchestratorTierConfig& tier,
                                            const std::string& field) {
  if (tier.name().empty()) return ConfigError(absl::StrCat(field, ".name must not be empty"));
  if (tier.endpoint().address().empty()) {
    return ConfigError(absl::StrCat(field, ".endpoint.address must not be empty"));
  }
  TierSettings settings{tier.name(), tier.endpoint().address(), std::nullopt};
  if (!tier.has_fallback_price()) return settings;
  const auto& price = tier.fallback_price();
  if (!price.has_input_usd_per_mtok() || !price.has_output_usd_per_mtok()) {
    return ConfigError(absl::StrCat(
        field, ".fallback_price: set both input_usd_per_mtok and output_usd_per_mtok"));
  }
  auto input = UsdToMicroUsd(price.input_usd_per_mtok(), "input_usd_per_mtok");
  if (!input.ok()) {
    return ConfigError(absl::StrCat(field, ".fallback_price.", input.status().message()));
  }
  auto output = UsdToMicroUsd(price.output_usd_per_mtok(), "output_usd_per_mtok");
  if (!output.ok()) {
    return ConfigError(absl::StrCat(field, ".fallback_price.", output.status().message()));
  }
  settings.fallback_price = TierPrice{*input, *output};
  return settings;
}

// Every policy, the default first.
absl::StatusOr<std::vector<PolicySettings>> PoliciesFromConfig(
    const v1::OrchestratorConfig& config, const std::set<std::string>& tier_names) {
  if (config.policies().empty() && !config.tiers().empty()) {
    return ConfigError("policies: none configured (a policy lists the tiers in climbing order)");
  }
  std::vector<PolicySettings> policies;
  std::set<std::string> policy_names;
  for (int i = 0; i < config.policies_size(); ++i) {
    auto policy =
        PolicyFromConfig(config.policies(i), tier_names, absl::StrCat("policies[", i, "]"));
    if (!policy.ok()) return policy.status();
    if (!policy_names.insert(policy->name).second) {
      return ConfigError(absl::StrCat("policies[", i, "].name '", policy->name, "' is used twice"));
    }
    policies.push_back(*std::move(policy));
  }
  if (config.default_policy().empty()) return policies;
  auto it = std::find_if(policies.begin(), policies.end(), [&](const PolicySettings& p) {
    return p.name == config.default_policy();
  });
  if (it == policies.end()) {
    return ConfigError(absl::StrCat(
        "default_policy '", config.default_policy(),
        "' is not a configured policy (policies: ", absl::StrJoin(policy_names, ", "), ")"));
  }
  std::rotate(policies.begin(), it, it + 1);
  return policies;
}

// The circuit breaker and the router's timeout.
absl::Status LimitsFromConfig(const v1::OrchestratorConfig& config,
                              OrchestratorSettings& settings) {
  if (config.circuit_breaker().failures() < 0) {
    return ConfigError("circuit_breaker.failures must be >= 0");
  }
  if (config.circuit_breaker().failures() > 0) {
    settings.breaker.failures = config.circuit_breaker().failures();
  }
  if (config.circuit_breaker().has_open_for()) {
    settings.breaker.open_for = DurationFromProto(config.circuit_breaker().open_for());
    if (settings.breaker.open_for <= absl::ZeroDuration()) {
      return ConfigError("circuit_breaker.open_for must be > 0");
    }
  }
  if (config.has_router_timeout()) {
    settings.router_timeout = DurationFromProto(config.router_timeout());
    if (settings.router_timeout <= absl::ZeroDuration()) {
      return ConfigError("router_timeout must be > 0");
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool PolicySettings::NeedsRouterEstimates() const {
  return std::any_of(tiers.begin(), tiers.end(),
                     [](const PolicyTier& tier) { return tier.accept.NeedsRouterEstimate(); });
}

absl::StatusOr<int64_t> UsdToMicroUsd(double usd, absl::string_view field) {
  if (!std::isfinite(usd) || usd < 0 || usd > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a number in [0, 1000000], not ", usd));
  }
  double micro = usd * 1e6;
  double rounded = std::round(micro);
  if (std::fabs(micro - rounded) > 1e-6 * std::max(1.0, rounded)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " ", usd, " is finer than a micro-USD (at most 6 decimals)"));
  }
  return static_cast<int64_t>(rounded);
}

absl::StatusOr<OrchestratorSettings> SettingsFromConfig(const v1::OrchestratorConfig& config) {
  if (!config.policies_file().empty()) {
    if (!config.policies().empty() || !config.default_policy().empty()) {
      return ConfigError(
          "set policies (and default_policy) or policies_file, not both: the file replaces them");
    }
    // The file's policies in place of the config's, checked as if they were written there.
    v1::OrchestratorConfig with_file = config;
    with_file.clear_policies_file();
    v1::PoliciesFileConfig file;
    if (absl::Status loaded = LoadConfigFile(config.policies_file(), &file); !loaded.ok()) {
      return ConfigError(absl::StrCat("policies_file: ", loaded.message()));
    }
    *with_file.mutable_policies() = file.policies();
    with_file.set_default_policy(file.default_policy());
    auto settings = SettingsFromConfig(with_file);
    if (!settings.ok()) {
      return ConfigError(absl::StrCat("policies_file ", config.policies_file(), ": ",
                                      settings.status().message()));
    }
    settings->policies_file = config.policies_file();
    if (config.has_policies_poll_interval()) {
      settings->policies_poll_interval = DurationFromProto(config.policies_poll_interval());
      if (settings->policies_poll_interval <= absl::ZeroDuration()) {
        return ConfigError("policies_poll_interval must be > 0");
      }
    }
    return settings;
  }
  OrchestratorSettings settings;
  std::set<std::string> tier_names;
  for (int i = 0; i < config.tiers_size(); ++i) {
    auto tier = TierFromConfig(config.tiers(i), absl::StrCat("tiers[", i, "]"));
    if (!tier.ok()) return tier.status();
    if (!tier_names.insert(tier->name).second) {
      return ConfigError(absl::StrCat("tiers[", i, "].name '", tier->name, "' is used twice"));
    }
    settings.tiers.push_back(*std::move(tier));
  }
  auto policies = PoliciesFromConfig(config, tier_names);
  if (!policies.ok()) return policies.status();
  settings.policies = *std::move(policies);
  if (absl::Status limits = LimitsFromConfig(config, settings); !limits.ok()) return limits;
  settings.router_address = config.router().address();
  settings.judge_address = config.judge().address();
  bool needs_judge = false;
  for (const auto& policy : settings.policies) {
    for (const auto& tier : policy.tiers) needs_judge |= tier.accept.judge_min.has_value();
  }
  if (needs_judge && settings.judge_address.empty()) {
    return ConfigError("a policy has a judge rule but judge.address is not set");
  }
  for (const auto& policy : settings.policies) {
    if (policy.cache && policy.cache->verify && settings.judge_address.empty()) {
      return ConfigError(absl::StrCat(
          "policy '", policy.name, "': cache.verify asks the judge but judge.address is not set"));
    }
    if (policy.shadow && policy.shadow->judge && settings.judge_address.empty()) {
      return ConfigError(absl::StrCat(
          "policy '", policy.name, "': shadow.judge asks the judge but judge.address is not set"));
    }
  }
  for (const auto& policy : settings.policies) {
    if (policy.NeedsRouterEstimates() && settings.router_address.empty()) {
      return ConfigError(absl::StrCat("policy '", policy.name,
                                      "' weighs router_estimate but router.address is not set"));
    }
  }
  if (config.has_decision_log()) {
    auto log = DecisionLogFromConfig(config.decision_log());
    if (!log.ok()) return log.status();
    settings.decision_log = *std::move(log);
  }
  auto answer_cache = AnswerCacheStoreFromConfig(config.answer_cache());
  if (!answer_cache.ok()) return answer_cache.status();
  settings.answer_cache = *answer_cache;
  return settings;
}

}  // namespace cascade::orchestrator
