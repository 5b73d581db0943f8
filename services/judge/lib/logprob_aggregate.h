#pragma once

// Aggregates of an answer's token logprobs: the `logprob` judge method, also run
// in-process by the orchestrator for its policy thresholds.
//
// Names (the orchestrator's policy writes them, e.g. `logprob: {aggregate: p10, min: -1.5}`):
//   "mean"      mean token logprob = log of the geometric-mean token probability
//   "min"       the least likely token's logprob
//   "pNN"       token-level quantile, NN in 0..100 ("p0" = min, "p100" = max), linear
//               interpolation between the sorted logprobs. Low quantiles separate good
//               from bad answers better than the mean (Gupta et al., "Language Model
//               Cascades: Token-level uncertainty and beyond", 2024).
//   "mean_len"  length-aware: sum / sqrt(n) = mean * sqrt(n). The mean ignores length and
//               the sum (the sequence's log-probability) punishes it fully; the square
//               root sits between, so a long answer at the same mean confidence scores
//               lower than a short one, but not exponentially lower.
// Every aggregate is a raw value in log space (<= 0); the method's [0, 1] score is
// exp(aggregate).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cascade/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cascade::judge {

struct LogprobAggregate {
  enum class Kind { kMean, kMin, kQuantile, kMeanLength };
  Kind kind = Kind::kMean;
  // For kQuantile only: 0..100.
  int percentile = 0;

  // The canonical name ("mean", "min", "p10", "mean_len").
  std::string Name() const;
};

// INVALID_ARGUMENT naming the bad name and the accepted forms.
absl::StatusOr<LogprobAggregate> ParseLogprobAggregate(absl::string_view name);

// OK when every logprob is finite and <= 0 and there is at least one; otherwise
// INVALID_ARGUMENT naming the first bad token's position and value.
absl::Status ValidateLogprobs(absl::Span<const v1::TokenLogprob> logprobs);
// The same for a message's repeated field (not contiguous, so not a Span).
absl::Status ValidateLogprobs(const google::protobuf::RepeatedPtrField<v1::TokenLogprob>& logprobs);

// The raw aggregate in log space (<= 0). INVALID_ARGUMENT for NaN, infinite or positive
// logprobs, or an empty sequence (an answer without logprobs has no logprob score).
absl::StatusOr<double> ComputeLogprobAggregate(const LogprobAggregate& aggregate,
                                               absl::Span<const v1::TokenLogprob> logprobs);
absl::StatusOr<double> ComputeLogprobAggregate(
    const LogprobAggregate& aggregate,
    const google::protobuf::RepeatedPtrField<v1::TokenLogprob>& logprobs);

// The logprob method's score in [0, 1]: exp(aggregate).
double LogprobScore(double aggregate);

}  // namespace cascade::judge
