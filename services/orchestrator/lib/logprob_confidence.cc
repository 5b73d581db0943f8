#include "services/orchestrator/lib/logprob_confidence.h"

namespace cascade::orchestrator {

absl::StatusOr<LogprobConfidence> LogprobConfidence::Parse(absl::string_view name) {
  auto aggregate = judge::ParseLogprobAggregate(name);
  if (!aggregate.ok()) return aggregate.status();
  LogprobConfidence result;
  result.aggregate_ = *aggregate;
  result.name_ = aggregate->Name();
  return result;
}

absl::StatusOr<double> LogprobConfidence::Aggregate(
    absl::Span<const v1::TokenLogprob> logprobs) const {
  return judge::ComputeLogprobAggregate(aggregate_, logprobs);
}

}  // namespace cascade::orchestrator
