#pragma once

// Is one tier's answer good enough to stop climbing? An answer that calls tools is judged
// by the tool call check alone (tool_call_check.h: upstreams give no logprobs for tool
// calls, and a valid call is what the application needs). Otherwise runs a tier's
// AcceptanceRule, cheapest first: the logprob aggregate, the tier's own self-check and the
// calibrated map of several signals (all already in the answer), then the judge as a call to the
// Judge service (its cost counts in the step). The judge is skipped when the cheaper rules already
// decide: one failure with "and", one pass with "or".

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

struct AcceptanceResult {
  bool accepted = false;
  // In [0, 1]: exp(aggregate) for logprobs, P(yes) for the self-check, the judge's score;
  // with several rules the least (and) or the greatest (or) of them.
  double confidence = 0;
  // The rules that ran: "logprob:p10", "self_check", "judge", joined by "+" (and) or
  // "|" (or); "tool_call" for the tool call check; "none" when the tier always accepts.
  std::string method;
  // When rejected, the last rule that failed: "low_confidence" (logprob or calibrated),
  // "self_check", "judge" or "invalid_tool_call".
  std::string reason;
  int64_t judge_cost_pusd = 0;
  // Why a rule had nothing to score (a failed judge call, a failed self-check); the answer
  // is then rejected.
  std::string error;
  // Per rule scores, for the confidence histogram.
  std::optional<double> logprob_score;
  std::optional<double> self_check_score;
  std::optional<double> calibrated_score;
  std::optional<double> judge_score;
  // The judge's score of each method it ran, for the trace.
  std::map<std::string, double> judge_scores;
};

class AcceptanceCheck {
 public:
  // `judge` may be null when no rule uses it.
  explicit AcceptanceCheck(JudgeClient* judge) : judge_(judge) {}

  // `router_estimate`: the router's estimate for the answer's tier, when one was asked for.
  // `threshold_override` in [0, 1] replaces every threshold: logprob rules then compare
  // exp(aggregate) with it, the self-check its P(yes), calibrated rules their probability,
  // judge rules the judge's score.
  AcceptanceResult Check(const AcceptanceRule& rule, const v1::CascadeRequest& request,
                         const v1::CompleteResponse& answer, std::optional<double> router_estimate,
                         std::optional<double> threshold_override,
                         const DownstreamCall& judge_call) const;

 private:
  // An answer with tool calls (or a request that demands one): valid calls accept.
  static AcceptanceResult ToolCalls(const v1::CascadeRequest& request,
                                    const v1::CompleteResponse& answer, const DownstreamCall& call);
  // One rule's outcome.
  struct RuleOutcome {
    std::string method;
    double score = 0;
    bool passed = false;
  };

  RuleOutcome Logprob(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                      std::optional<double> threshold_override, const DownstreamCall& call,
                      AcceptanceResult& result) const;
  RuleOutcome SelfCheck(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                        std::optional<double> threshold_override, const DownstreamCall& call,
                        AcceptanceResult& result) const;
  RuleOutcome Calibrated(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                         std::optional<double> router_estimate,
                         std::optional<double> threshold_override, const DownstreamCall& call,
                         AcceptanceResult& result) const;
  RuleOutcome Judge(const AcceptanceRule& rule, const v1::CascadeRequest& request,
                    const v1::CompleteResponse& answer, std::optional<double> threshold_override,
                    const DownstreamCall& call, AcceptanceResult& result) const;
  // The verdict from the rules that ran.
  static void Combine(const AcceptanceRule& rule, const std::vector<RuleOutcome>& ran,
                      AcceptanceResult& result);

  JudgeClient* judge_;
};

}  // namespace cascade::orchestrator
