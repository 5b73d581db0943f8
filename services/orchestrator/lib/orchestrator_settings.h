#pragma once

// From a cascade.v1.OrchestratorConfig to checked settings: tiers, policies (the default
// first), acceptance rules, limits and the circuit breaker, with defaults filled in.
// Every mistake is FAILED_PRECONDITION naming the field, so the server exits 78 with it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/config.pb.h"
#include "services/orchestrator/lib/answer_cache_settings.h"
#include "services/orchestrator/lib/calibrated_confidence.h"
#include "services/orchestrator/lib/circuit_breaker.h"
#include "services/orchestrator/lib/logprob_confidence.h"

namespace cascade::orchestrator {

// Price per token: integer micro-USD per million tokens = pico-USD per token.
struct TierPrice {
  int64_t input_uusd_per_mtok = 0;
  int64_t output_uusd_per_mtok = 0;
};

struct TierSettings {
  std::string name;
  std::string address;
  std::optional<TierPrice> fallback_price;
};

struct AcceptanceRule {
  std::optional<LogprobConfidence> logprob;
  double logprob_min = 0;
  // The tier's own self-check P(yes), in [0, 1].
  std::optional<double> self_check_min;
  std::optional<double> judge_min;
  std::vector<std::string> judge_methods;
  // P(right) from a fitted logistic map of several signals, at least calibrated_min.
  std::optional<CalibratedConfidence> calibrated;
  double calibrated_min = 0;
  bool combine_or = false;
  bool AlwaysAccepts() const {
    return !logprob.has_value() && !self_check_min.has_value() && !judge_min.has_value() &&
           !calibrated.has_value();
  }
  // Whether the tier must be asked for its self-check.
  // Whether the router must be asked for its estimate of the tier.
  bool NeedsRouterEstimate() const { return calibrated && calibrated->needs_router_estimate(); }
  bool NeedsSelfCheck() const {
    return self_check_min.has_value() || (calibrated && calibrated->needs_self_check());
  }
};

struct PolicyTier {
  std::string tier;
  AcceptanceRule accept;
};

// A policy's shadow evaluation (shadow_evaluator.h).
struct ShadowSettings {
  double rate = 0;                // Share of eligible answers re-asked, in (0, 1].
  int64_t max_pusd_per_hour = 0;  // Spend limit in any sliding hour, > 0.
  std::string tier;               // The reference tier: the policy's last unless set.
  bool judge = false;             // The judge decides what the cheap comparison cannot.
};

struct PolicySettings {
  std::string name;
  std::vector<PolicyTier> tiers;  // Climbing order; the last always accepts.
  bool routing = true;
  int max_tiers = 0;  // 0 = every tier.
  absl::Duration default_deadline = absl::Seconds(30);
  absl::Duration max_deadline = absl::Seconds(120);
  std::optional<int64_t> default_budget_pusd;
  // The temperature of a request that sent none (CascadeCall::temperature_unset).
  double default_temperature = 1;
  // `start: learned`: the router's per-tier estimates choose the first tier.
  bool learned_start = false;
  std::optional<ShadowSettings> shadow;
  std::optional<CachePolicySettings> cache;  // Set when the policy's cache is enabled.

  // Whether a tier's rule weighs the router's estimate (the router is then asked for it even
  // when the start is not learned).
  bool NeedsRouterEstimates() const;
};

// The decision log's file (decision_log.h).
struct DecisionLogSettings {
  std::string path;
  int64_t max_bytes = int64_t{100} << 20;
  int max_files = 5;
  size_t queue_size = 10000;
  bool include_prompt = false;
};

struct OrchestratorSettings {
  std::vector<TierSettings> tiers;
  std::vector<PolicySettings> policies;  // The default first.
  CircuitBreakerOptions breaker;
  absl::Duration router_timeout = absl::Milliseconds(50);
  std::string router_address;  // Empty: no router.
  std::string judge_address;   // Empty: no judge.
  std::optional<DecisionLogSettings> decision_log;
  // Where `policies` were read from, when a file (watched and reloaded); else empty.
  std::string policies_file;
  absl::Duration policies_poll_interval = absl::Seconds(1);
  AnswerCacheStoreSettings answer_cache;
};

// With `policies_file`, the policies are read from that file (a PoliciesFileConfig) and
// checked as if written in the config.
absl::StatusOr<OrchestratorSettings> SettingsFromConfig(const v1::OrchestratorConfig& config);

// USD per million tokens -> integer micro-USD per million; INVALID_ARGUMENT naming `field`
// for NaN, negative, absurd (> 1e6) or sub-micro-USD values.
absl::StatusOr<int64_t> UsdToMicroUsd(double usd, absl::string_view field);

}  // namespace cascade::orchestrator
