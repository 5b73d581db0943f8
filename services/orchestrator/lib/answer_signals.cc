#include "services/orchestrator/lib/answer_signals.h"

#include "services/judge/lib/logprob_aggregate.h"

namespace cascade::orchestrator {

v1::AnswerSignals SignalsOf(const v1::CompleteResponse& answer, const AcceptanceResult& verdict) {
  v1::AnswerSignals signals;
  signals.set_completion_tokens(static_cast<int32_t>(answer.usage().completion_tokens()));
  for (const auto& [method, score] : verdict.judge_scores) {
    (*signals.mutable_judge_scores())[method] = score;
  }
  // No logprobs, or unusable ones (NaN, positive): no aggregate is claimed.
  if (!judge::ValidateLogprobs(answer.logprobs()).ok()) return signals;
  using Kind = judge::LogprobAggregate::Kind;
  auto aggregate = [&](Kind kind, int percentile = 0) {
    return *judge::ComputeLogprobAggregate(judge::LogprobAggregate{kind, percentile},
                                           answer.logprobs());
  };
  signals.set_logprob_mean(aggregate(Kind::kMean));
  signals.set_logprob_min(aggregate(Kind::kMin));
  signals.set_logprob_p10(aggregate(Kind::kQuantile, 10));
  signals.set_logprob_p25(aggregate(Kind::kQuantile, 25));
  signals.set_logprob_mean_len(aggregate(Kind::kMeanLength));
  return signals;
}

}  // namespace cascade::orchestrator
