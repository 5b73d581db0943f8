#pragma once

// Is one tier's answer good enough to stop climbing? Runs a tier's AcceptanceRule: the
// logprob aggregate in-process, the judge as a call to the Judge service (its cost counts
// in the step). With "and", a failing logprob check skips the judge call (it could not
// change the outcome); with "or", a passing one does.

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

struct AcceptanceResult {
  bool accepted = false;
  double confidence = 0;  // In [0, 1]: exp(aggregate) for logprobs, the judge's score.
  std::string method;     // "logprob:p10", "judge", "logprob:p10+judge", "none".
  // When rejected: "low_confidence" (logprob) or "judge".
  std::string reason;
  int64_t judge_cost_pusd = 0;
  std::string error;  // A judge call that failed (the answer is then rejected).
  // Per method scores, for the confidence histogram.
  std::optional<double> logprob_score;
  std::optional<double> judge_score;
  // The judge's score of each method it ran, for the trace.
  std::map<std::string, double> judge_scores;
};

class AcceptanceCheck {
 public:
  // `judge` may be null when no rule uses it.
  explicit AcceptanceCheck(JudgeClient* judge) : judge_(judge) {}

  // `threshold_override` in [0, 1] replaces every threshold: logprob rules then compare
  // exp(aggregate) with it, judge rules the judge's score.
  AcceptanceResult Check(const AcceptanceRule& rule, const v1::CascadeRequest& request,
                         const v1::CompleteResponse& answer,
                         std::optional<double> threshold_override,
                         const DownstreamCall& judge_call) const;

 private:
  // Each fills its score (and the judge its cost or error) into `result`.
  bool LogprobPasses(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                     std::optional<double> threshold_override, const DownstreamCall& call,
                     AcceptanceResult& result) const;
  bool JudgePasses(const AcceptanceRule& rule, const v1::CascadeRequest& request,
                   const v1::CompleteResponse& answer, std::optional<double> threshold_override,
                   const DownstreamCall& call, AcceptanceResult& result) const;
  // The verdict from the checks that ran.
  static void Combine(const AcceptanceRule& rule, std::optional<bool> logprob_pass,
                      std::optional<bool> judge_pass, AcceptanceResult& result);

  JudgeClient* judge_;
};

}  // namespace cascade::orchestrator
