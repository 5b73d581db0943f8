#pragma once

// A calibrated acceptance rule's probability that an answer is right: a logistic map of
// several signals of the answer, fitted on past outcomes by `cascadectl policy fit` and
// written into the policy (AcceptanceConfig.calibrated). The fitter's simulation computes the
// same formula, so what it certified is what the orchestrator does.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cascade/v1/config.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/logprob_confidence.h"

namespace cascade::orchestrator {

class CalibratedConfidence {
 public:
  // FAILED_PRECONDITION naming `field` for an unknown or repeated signal, no weights, or a
  // number that is not finite.
  static absl::StatusOr<CalibratedConfidence> Parse(const v1::CalibratedAcceptanceConfig& config,
                                                    const std::string& field);

  // P = 1 / (1 + exp(-(intercept + sum of weight * signal))), in [0, 1]. `router_estimate`:
  // the router's estimate for the answer's tier, when known. UNAVAILABLE when the answer
  // lacks a signal the map needs (no logprobs, no self-check, no estimate).
  absl::StatusOr<double> Probability(const v1::CompleteResponse& answer,
                                     std::optional<double> router_estimate) const;

  // Whether a signal is the tier's self-check, which the tier is then asked for.
  bool needs_self_check() const { return needs_self_check_; }
  // Whether a signal is the router's estimate, which the router is then asked for.
  bool needs_router_estimate() const { return needs_router_estimate_; }

 private:
  enum class Source {
    kLogprob,
    kSelfCheck,
    kSelfCheckLogOdds,
    kRouterEstimate,
    kRouterEstimateLogOdds
  };
  struct Term {
    std::string signal;
    Source source = Source::kLogprob;
    std::optional<LogprobConfidence> logprob;
    double weight = 0;
  };

  absl::StatusOr<double> SignalValue(const Term& term, const v1::CompleteResponse& answer,
                                     absl::Span<const v1::TokenLogprob> tokens,
                                     std::optional<double> router_estimate) const;

  double intercept_ = 0;
  std::vector<Term> terms_;
  bool needs_self_check_ = false;
  bool needs_router_estimate_ = false;
};

}  // namespace cascade::orchestrator
