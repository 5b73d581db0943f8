#pragma once

// The logprob aggregate a policy names ("mean", "min", "pNN", "mean_len"), computed over an
// answer's token logprobs: a thin seam over the judge library's aggregates
// (services/judge/lib/logprob_aggregate.h), so the cascade does not depend on its shape.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cascade/v1/common.pb.h"
#include "services/judge/lib/logprob_aggregate.h"

namespace cascade::orchestrator {

class LogprobConfidence {
 public:
  // INVALID_ARGUMENT naming `name` when it is not an aggregate.
  static absl::StatusOr<LogprobConfidence> Parse(absl::string_view name);

  // The raw aggregate in log space (<= 0). INVALID_ARGUMENT for no logprobs, NaN or
  // positive values.
  absl::StatusOr<double> Aggregate(absl::Span<const v1::TokenLogprob> logprobs) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  judge::LogprobAggregate aggregate_;
};

}  // namespace cascade::orchestrator
