#pragma once

// Recorded outcomes as the policy fitter reads them: per query and per model of a ladder
// (cheapest first, the top model last), the answer's quality, what it cost (usage x the
// model's price, exact) and what a self-check of it cost, and its raw confidence signals
// as the orchestrator's acceptance rules see them.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/outcomes/outcomes.h"
#include "common/outcomes/prices.h"

namespace cascade::policy {

// A signal an acceptance rule can threshold, on its raw scale: the logprob aggregates in
// log space (<= 0, the rule's `logprob.min`), the self-check's P(yes) (`self_check.min`),
// the router's estimate of the model's chance of answering well, in [0, 1] (recorded, or
// cross-fitted by the policy fitter; no raw rule: the fitter writes it as a `calibrated`
// rule on its log-odds). kCombined is not recorded: it names the policy fitter's candidates
// that threshold a calibrated combination of the others (the rule's `calibrated`).
enum class SignalKind {
  kLogprobMean = 0,
  kLogprobMin = 1,
  kSelfCheck = 2,
  kRouterEstimate = 3,
  kCombined = 4,
};
// The recorded ones, kLogprobMean to kRouterEstimate.
inline constexpr int kSignalKinds = 4;

// "logprob:mean", "logprob:min", "self_check", "router_estimate", "combined".
absl::string_view SignalName(SignalKind kind);

// The kinds a calibration or combination takes as log-odds (P clamped to [1e-6, 1 - 1e-6]):
// the self-check and the router's estimate.
inline bool IsProbabilitySignal(SignalKind kind) {
  return kind == SignalKind::kSelfCheck || kind == SignalKind::kRouterEstimate;
}

struct ModelAnswer {
  double quality = 0;  // In [0, 1].
  int64_t cost_pusd = 0;
  int64_t self_check_cost_pusd = 0;  // 0 when none was recorded.
  std::array<std::optional<double>, kSignalKinds> signals;

  // A recorded kind (not kCombined).
  const std::optional<double>& signal(SignalKind kind) const {
    return signals[static_cast<int>(kind)];
  }
};

struct QueryTable {
  std::vector<std::string> models;             // The ladder, the top model last.
  std::vector<std::vector<ModelAnswer>> rows;  // [query][model].
  // Per row, what the router is asked about (the last user message; empty when there is
  // none) and the record's exemplar key (a hash of its messages), as `cascadectl routes
  // learn` makes its exemplars: what cross-fitting the router's estimates needs. Empty for
  // a table built by hand without them.
  std::vector<std::string> queries;
  std::vector<std::string> keys;
  // Records left out: a ladder model did not answer, or its answer has no grade.
  int skipped = 0;
};

// INVALID_ARGUMENT for fewer than one model, a model without a price, or no usable record.
absl::StatusOr<QueryTable> BuildQueryTable(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>& prices,
    const std::vector<std::string>& models);

}  // namespace cascade::policy
