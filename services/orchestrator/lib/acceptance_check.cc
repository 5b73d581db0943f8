#include "services/orchestrator/lib/acceptance_check.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"

namespace cascade::orchestrator {

AcceptanceResult AcceptanceCheck::Check(const AcceptanceRule& rule,
                                        const v1::CascadeRequest& request,
                                        const v1::CompleteResponse& answer,
                                        std::optional<double> threshold_override,
                                        const DownstreamCall& judge_call) const {
  AcceptanceResult result;
  if (rule.AlwaysAccepts()) {
    result.accepted = true;
    result.confidence = 1;
    result.method = "none";
    return result;
  }
  std::optional<bool> logprob_pass;
  if (rule.logprob) {
    result.method = absl::StrCat("logprob:", rule.logprob->name());
    logprob_pass = LogprobPasses(rule, answer, threshold_override, judge_call, result);
  }
  // With "and", a failing logprob check makes the judge's call pointless; with "or", a
  // passing one does.
  const bool need_judge = rule.judge_min.has_value() &&
                          !(logprob_pass.has_value() && (*logprob_pass == rule.combine_or));
  std::optional<bool> judge_pass;
  if (need_judge) {
    result.method = result.method.empty()
                        ? "judge"
                        : absl::StrCat(result.method, rule.combine_or ? "|" : "+", "judge");
    judge_pass = JudgePasses(rule, request, answer, threshold_override, judge_call, result);
  }
  Combine(rule, logprob_pass, judge_pass, result);
  return result;
}

bool AcceptanceCheck::LogprobPasses(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                                    std::optional<double> threshold_override,
                                    const DownstreamCall& call, AcceptanceResult& result) const {
  // The aggregates take a contiguous span; a repeated field is not one.
  std::vector<v1::TokenLogprob> tokens(answer.logprobs().begin(), answer.logprobs().end());
  auto aggregate = rule.logprob->Aggregate(tokens);
  if (!aggregate.ok()) {
    // No logprobs (or unusable ones): nothing says the answer is good.
    result.logprob_score = 0;
    LogWarn("logprob_confidence_unavailable", {{"tier", answer.tier()},
                                               {"error", std::string(aggregate.status().message())},
                                               {"request_id", call.request_id}});
    return false;
  }
  result.logprob_score = std::exp(*aggregate);
  return threshold_override ? *result.logprob_score >= *threshold_override
                            : *aggregate >= rule.logprob_min;
}

bool AcceptanceCheck::JudgePasses(const AcceptanceRule& rule, const v1::CascadeRequest& request,
                                  const v1::CompleteResponse& answer,
                                  std::optional<double> threshold_override,
                                  const DownstreamCall& call, AcceptanceResult& result) const {
  v1::ScoreRequest score;
  *score.mutable_messages() = request.messages();
  score.set_answer(answer.text());
  *score.mutable_answer_logprobs() = answer.logprobs();
  score.set_finish_reason(answer.finish_reason());
  *score.mutable_response_format() = request.params().response_format();
  for (const auto& method : rule.judge_methods) score.add_methods(method);
  auto scored = judge_ == nullptr ? absl::FailedPreconditionError("no judge configured")
                                  : judge_->Score(score, call);
  if (!scored.ok()) {
    // An unjudged answer is not known to be good: climb.
    result.judge_score = 0;
    result.error = absl::StrCat("judge: ", scored.status().ToString());
    LogWarn("judge_failed", {{"tier", answer.tier()},
                             {"error", scored.status().ToString()},
                             {"request_id", call.request_id}});
    return false;
  }
  result.judge_score = scored->score();
  result.judge_cost_pusd = scored->cost_pusd();
  for (const auto& method : scored->methods())
    result.judge_scores[method.method()] = method.score();
  return scored->score() >= threshold_override.value_or(*rule.judge_min);
}

void AcceptanceCheck::Combine(const AcceptanceRule& rule, std::optional<bool> logprob_pass,
                              std::optional<bool> judge_pass, AcceptanceResult& result) {
  if (logprob_pass && judge_pass) {
    result.accepted =
        rule.combine_or ? (*logprob_pass || *judge_pass) : (*logprob_pass && *judge_pass);
    result.confidence = rule.combine_or ? std::max(*result.logprob_score, *result.judge_score)
                                        : std::min(*result.logprob_score, *result.judge_score);
    result.reason = *judge_pass ? "low_confidence" : "judge";
  } else if (logprob_pass) {
    result.accepted = *logprob_pass;
    result.confidence = *result.logprob_score;
    result.reason = "low_confidence";
  } else {
    result.accepted = *judge_pass;
    result.confidence = *result.judge_score;
    result.reason = "judge";
  }
  if (result.accepted) result.reason.clear();
}

}  // namespace cascade::orchestrator
