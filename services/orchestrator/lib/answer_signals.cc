#include "services/orchestrator/lib/answer_signals.h"

#include "services/judge/lib/logprob_aggregate.h"

namespace cascade::orchestrator {

v1::AnswerSignals SignalsOf(const v1::CompleteResponse& answer, const AcceptanceResult& verdict) {
  v1::AnswerSignals signals;
  signals.set_completion_tokens(static_cast<int32_t>(answer.usage().completion_tokens()));
  for (const auto& [method, score] : verdict.judge_scores) {
    (*signals.mutable_judge_scores())[method] = score;
  }
  if (answer.has_self_check() && answer.self_check().error().empty()) {
    signals.set_self_check_p_yes(answer.self_check().p_yes());
    signals.set_self_check_source(answer.self_check().source());
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

nlohmann::json SignalsToJson(const v1::AnswerSignals& signals) {
  nlohmann::json out = {{"completion_tokens", signals.completion_tokens()}};
  if (signals.has_logprob_mean()) {
    out["logprob"] = {{"mean", signals.logprob_mean()},
                      {"min", signals.logprob_min()},
                      {"p10", signals.logprob_p10()},
                      {"p25", signals.logprob_p25()},
                      {"mean_len", signals.logprob_mean_len()}};
  }
  if (signals.has_self_check_p_yes()) {
    out["self_check"] = {{"p_yes", signals.self_check_p_yes()},
                         {"source", signals.self_check_source()}};
  }
  if (!signals.judge_scores().empty()) {
    nlohmann::json judge = nlohmann::json::object();
    for (const auto& [method, score] : signals.judge_scores()) judge[method] = score;
    out["judge"] = std::move(judge);
  }
  if (signals.has_router_estimate()) out["router_estimate"] = signals.router_estimate();
  return out;
}

}  // namespace cascade::orchestrator
