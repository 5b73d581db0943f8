#include "services/orchestrator/lib/calibrated_confidence.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cascade::orchestrator {
namespace {

constexpr char kSignals[] =
    "logprob_mean, logprob_min, logprob_pNN, logprob_mean_len, self_check, "
    "self_check_log_odds, router_estimate or router_estimate_log_odds";

// log(p / (1 - p)), p clamped to [1e-6, 1 - 1e-6] (as the policy fitter computes it).
double LogOdds(double p) {
  const double clamped = std::clamp(p, 1e-6, 1 - 1e-6);
  return std::log(clamped / (1 - clamped));
}

}  // namespace

absl::StatusOr<CalibratedConfidence> CalibratedConfidence::Parse(
    const v1::CalibratedAcceptanceConfig& config, const std::string& field) {
  CalibratedConfidence confidence;
  if (!std::isfinite(config.intercept())) {
    return absl::FailedPreconditionError(absl::StrCat(field, ".intercept must be a number"));
  }
  confidence.intercept_ = config.intercept();
  if (config.weights().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ".weights: at least one signal is needed (", kSignals, ")"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < config.weights_size(); ++i) {
    const v1::SignalWeight& weight = config.weights(i);
    const std::string where = absl::StrCat(field, ".weights[", i, "]");
    if (!seen.insert(weight.signal()).second) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ".signal '", weight.signal(), "' appears twice"));
    }
    if (!std::isfinite(weight.weight())) {
      return absl::FailedPreconditionError(absl::StrCat(where, ".weight must be a number"));
    }
    Term term;
    term.signal = weight.signal();
    term.weight = weight.weight();
    if (weight.signal() == "self_check") {
      term.source = Source::kSelfCheck;
    } else if (weight.signal() == "self_check_log_odds") {
      term.source = Source::kSelfCheckLogOdds;
    } else if (weight.signal() == "router_estimate") {
      term.source = Source::kRouterEstimate;
    } else if (weight.signal() == "router_estimate_log_odds") {
      term.source = Source::kRouterEstimateLogOdds;
    } else if (absl::StartsWith(weight.signal(), "logprob_")) {
      auto aggregate = LogprobConfidence::Parse(weight.signal().substr(8));
      if (!aggregate.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat(where, ".signal '", weight.signal(), "': ", aggregate.status().message()));
      }
      term.logprob = *std::move(aggregate);
    } else {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ".signal '", weight.signal(), "' is not one of ", kSignals));
    }
    confidence.needs_self_check_ |=
        term.source == Source::kSelfCheck || term.source == Source::kSelfCheckLogOdds;
    confidence.needs_router_estimate_ |=
        term.source == Source::kRouterEstimate || term.source == Source::kRouterEstimateLogOdds;
    confidence.terms_.push_back(std::move(term));
  }
  return confidence;
}

absl::StatusOr<double> CalibratedConfidence::SignalValue(
    const Term& term, const v1::CompleteResponse& answer, absl::Span<const v1::TokenLogprob> tokens,
    std::optional<double> router_estimate) const {
  switch (term.source) {
    case Source::kLogprob: {
      auto aggregate = term.logprob->Aggregate(tokens);
      if (!aggregate.ok()) {
        return absl::UnavailableError(
            absl::StrCat(term.signal, ": ", aggregate.status().message()));
      }
      return *aggregate;
    }
    case Source::kRouterEstimate:
    case Source::kRouterEstimateLogOdds:
      if (!router_estimate) {
        return absl::UnavailableError(
            absl::StrCat(term.signal, ": the router gave no estimate for this tier"));
      }
      return term.source == Source::kRouterEstimate ? *router_estimate : LogOdds(*router_estimate);
    case Source::kSelfCheck:
    case Source::kSelfCheckLogOdds:
      if (!answer.has_self_check() || !answer.self_check().error().empty()) {
        return absl::UnavailableError(absl::StrCat(term.signal, ": ",
                                                   answer.has_self_check()
                                                       ? answer.self_check().error()
                                                       : "the tier returned no self-check"));
      }
      return term.source == Source::kSelfCheck ? answer.self_check().p_yes()
                                               : LogOdds(answer.self_check().p_yes());
  }
  return absl::InternalError("unknown signal source");
}

absl::StatusOr<double> CalibratedConfidence::Probability(
    const v1::CompleteResponse& answer, std::optional<double> router_estimate) const {
  // The aggregates take a contiguous span; a repeated field is not one: copied once for
  // every logprob term.
  const std::vector<v1::TokenLogprob> tokens(answer.logprobs().begin(), answer.logprobs().end());
  double logit = intercept_;
  for (const Term& term : terms_) {
    auto value = SignalValue(term, answer, tokens, router_estimate);
    if (!value.ok()) return value.status();
    logit += term.weight * *value;
  }
  return 1 / (1 + std::exp(-logit));
}

}  // namespace cascade::orchestrator
