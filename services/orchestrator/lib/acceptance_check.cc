#include "services/orchestrator/lib/acceptance_check.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "services/orchestrator/lib/tool_call_check.h"

namespace cascade::orchestrator {
namespace {

void AddError(AcceptanceResult& result, absl::string_view error) {
  result.error =
      result.error.empty() ? std::string(error) : absl::StrCat(result.error, "; ", error);
}

// The tool call check decides when the answer calls tools, or when the request demanded a
// call (tool_choice "required" or a tool's name) and got text.
bool ToolCallsDecide(const v1::GenerationParams& params, const v1::CompleteResponse& answer) {
  if (params.tools_size() == 0) return false;
  if (answer.tool_calls_size() > 0) return true;
  const std::string& choice = params.tool_choice();
  return !choice.empty() && choice != "auto" && choice != "none";
}

}  // namespace

AcceptanceResult AcceptanceCheck::Check(const AcceptanceRule& rule,
                                        const v1::CascadeRequest& request,
                                        const v1::CompleteResponse& answer,
                                        std::optional<double> router_estimate,
                                        std::optional<double> threshold_override,
                                        const DownstreamCall& judge_call) const {
  AcceptanceResult result;
  if (rule.AlwaysAccepts()) {
    result.accepted = true;
    result.confidence = 1;
    result.method = "none";
    return result;
  }
  if (ToolCallsDecide(request.params(), answer)) return ToolCalls(request, answer, judge_call);
  std::vector<RuleOutcome> ran;
  if (rule.logprob) ran.push_back(Logprob(rule, answer, threshold_override, judge_call, result));
  if (rule.self_check_min) {
    ran.push_back(SelfCheck(rule, answer, threshold_override, judge_call, result));
  }
  if (rule.calibrated) {
    ran.push_back(
        Calibrated(rule, answer, router_estimate, threshold_override, judge_call, result));
  }
  // The judge costs a call: skip it when a cheaper rule already decided (a failure with
  // "and", a pass with "or").
  const bool decided = std::any_of(ran.begin(), ran.end(), [&](const RuleOutcome& outcome) {
    return outcome.passed == rule.combine_or;
  });
  if (rule.judge_min && !decided) {
    ran.push_back(Judge(rule, request, answer, threshold_override, judge_call, result));
  }
  Combine(rule, ran, result);
  return result;
}

AcceptanceResult AcceptanceCheck::ToolCalls(const v1::CascadeRequest& request,
                                            const v1::CompleteResponse& answer,
                                            const DownstreamCall& call) {
  AcceptanceResult result;
  result.method = "tool_call";
  const std::optional<std::string> violation = ToolCallViolation(request.params(), answer);
  result.accepted = !violation.has_value();
  result.confidence = result.accepted ? 1 : 0;
  if (violation) {
    result.reason = "invalid_tool_call";
    result.error = absl::StrCat("invalid tool call: ", *violation);
    LogInfo("tool_call_rejected",
            {{"tier", answer.tier()}, {"violation", *violation}, {"request_id", call.request_id}});
  }
  return result;
}

AcceptanceCheck::RuleOutcome AcceptanceCheck::Logprob(const AcceptanceRule& rule,
                                                      const v1::CompleteResponse& answer,
                                                      std::optional<double> threshold_override,
                                                      const DownstreamCall& call,
                                                      AcceptanceResult& result) const {
  RuleOutcome outcome{absl::StrCat("logprob:", rule.logprob->name())};
  // The aggregates take a contiguous span; a repeated field is not one.
  std::vector<v1::TokenLogprob> tokens(answer.logprobs().begin(), answer.logprobs().end());
  auto aggregate = rule.logprob->Aggregate(tokens);
  if (!aggregate.ok()) {
    // No logprobs (or unusable ones): nothing says the answer is good.
    result.logprob_score = 0;
    LogWarn("logprob_confidence_unavailable", {{"tier", answer.tier()},
                                               {"error", std::string(aggregate.status().message())},
                                               {"request_id", call.request_id}});
    return outcome;
  }
  outcome.score = std::exp(*aggregate);
  result.logprob_score = outcome.score;
  outcome.passed =
      threshold_override ? outcome.score >= *threshold_override : *aggregate >= rule.logprob_min;
  return outcome;
}

AcceptanceCheck::RuleOutcome AcceptanceCheck::SelfCheck(const AcceptanceRule& rule,
                                                        const v1::CompleteResponse& answer,
                                                        std::optional<double> threshold_override,
                                                        const DownstreamCall& call,
                                                        AcceptanceResult& result) const {
  RuleOutcome outcome{"self_check"};
  const std::string error =
      !answer.has_self_check() ? "the tier returned no self-check" : answer.self_check().error();
  if (!error.empty()) {
    // An unchecked answer is not known to be good: climb.
    result.self_check_score = 0;
    AddError(result, absl::StrCat("self_check: ", error));
    LogWarn("self_check_unavailable",
            {{"tier", answer.tier()}, {"error", error}, {"request_id", call.request_id}});
    return outcome;
  }
  outcome.score = answer.self_check().p_yes();
  result.self_check_score = outcome.score;
  outcome.passed = outcome.score >= threshold_override.value_or(*rule.self_check_min);
  return outcome;
}

AcceptanceCheck::RuleOutcome AcceptanceCheck::Calibrated(const AcceptanceRule& rule,
                                                         const v1::CompleteResponse& answer,
                                                         std::optional<double> router_estimate,
                                                         std::optional<double> threshold_override,
                                                         const DownstreamCall& call,
                                                         AcceptanceResult& result) const {
  RuleOutcome outcome{"calibrated"};
  auto probability = rule.calibrated->Probability(answer, router_estimate);
  if (!probability.ok()) {
    // A signal the map needs is missing: nothing says the answer is good.
    result.calibrated_score = 0;
    AddError(result, absl::StrCat("calibrated: ", probability.status().message()));
    LogWarn("calibrated_confidence_unavailable",
            {{"tier", answer.tier()},
             {"error", std::string(probability.status().message())},
             {"request_id", call.request_id}});
    return outcome;
  }
  outcome.score = *probability;
  result.calibrated_score = outcome.score;
  outcome.passed = outcome.score >= threshold_override.value_or(rule.calibrated_min);
  return outcome;
}

AcceptanceCheck::RuleOutcome AcceptanceCheck::Judge(const AcceptanceRule& rule,
                                                    const v1::CascadeRequest& request,
                                                    const v1::CompleteResponse& answer,
                                                    std::optional<double> threshold_override,
                                                    const DownstreamCall& call,
                                                    AcceptanceResult& result) const {
  RuleOutcome outcome{"judge"};
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
    AddError(result, absl::StrCat("judge: ", scored.status().ToString()));
    LogWarn("judge_failed", {{"tier", answer.tier()},
                             {"error", scored.status().ToString()},
                             {"request_id", call.request_id}});
    return outcome;
  }
  outcome.score = scored->score();
  result.judge_score = outcome.score;
  result.judge_cost_pusd = scored->cost_pusd();
  for (const auto& method : scored->methods())
    result.judge_scores[method.method()] = method.score();
  outcome.passed = outcome.score >= threshold_override.value_or(*rule.judge_min);
  return outcome;
}

void AcceptanceCheck::Combine(const AcceptanceRule& rule, const std::vector<RuleOutcome>& ran,
                              AcceptanceResult& result) {
  result.accepted = !rule.combine_or;
  result.confidence = rule.combine_or ? 0 : 1;
  for (const RuleOutcome& outcome : ran) {
    if (!result.method.empty()) result.method += rule.combine_or ? "|" : "+";
    result.method += outcome.method;
    if (rule.combine_or) {
      result.accepted |= outcome.passed;
      result.confidence = std::max(result.confidence, outcome.score);
    } else {
      result.accepted &= outcome.passed;
      result.confidence = std::min(result.confidence, outcome.score);
    }
    if (!outcome.passed) {
      result.reason = outcome.method == "judge"        ? "judge"
                      : outcome.method == "self_check" ? "self_check"
                                                       : "low_confidence";
    }
  }
  if (result.accepted) result.reason.clear();
}

}  // namespace cascade::orchestrator
