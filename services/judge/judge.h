#pragma once

// The judge's domain class: runs the scoring methods a ScoreRequest names and combines
// them. The cheap methods are the library's (services/judge/lib); the llm method calls a
// tier worker through a VerdictClient.
//
// "equivalence" (asked by name, with reference_answer): the judge model says whether the
// answer says what the reference says (shadow evaluation's check, when cheap methods cannot
// tell).
//
// "combined": validators first (a failure gives 0 at once when validators_veto), then the
// logprob method when the answer has logprobs; when their combination is >= accept_above
// or <= reject_below it decides and the llm is not called. Otherwise the llm runs and all
// are combined. When the llm call fails, "combined" degrades to the cheap methods (warning
// log, cascade_judge_degraded_total{reason="llm_error"}, rationale says so) unless
// on_llm_error is "fail" or no cheap score is left, in which case the llm's error is the
// answer.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/judge.pb.h"
#include "services/judge/judge_metrics.h"
#include "services/judge/judge_options.h"
#include "services/judge/verdict_client.h"

namespace cascade::judge {

class Judge {
 public:
  // `llm` may be null (no llm_tier): the llm method then fails with FAILED_PRECONDITION.
  // `metrics` may be null.
  Judge(JudgeOptions options, std::unique_ptr<VerdictClient> llm, JudgeMetrics* metrics);

  // INVALID_ARGUMENT for bad input (unknown or empty method, answer or logprobs over the
  // limits, NaN/infinite/positive logprobs, logprob method without logprobs); the llm
  // call's errors name the tier's address.
  absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request,
                                          const CallScope& scope) const;

 private:
  absl::StatusOr<v1::MethodScore> ScoreLogprob(const v1::ScoreRequest& request) const;
  v1::MethodScore ScoreValidators(const v1::ScoreRequest& request) const;
  absl::StatusOr<v1::MethodScore> ScoreLlm(const v1::ScoreRequest& request, const CallScope& scope,
                                           v1::Usage* usage) const;
  // Whether `answer` says what `reference_answer` says, by the judge model.
  absl::StatusOr<v1::MethodScore> ScoreEquivalence(const v1::ScoreRequest& request,
                                                   const CallScope& scope, v1::Usage* usage) const;
  // Asks the judge model `prompt` and reads its YES/NO as P(yes), as `method`.
  absl::StatusOr<v1::MethodScore> AskVerdict(const std::string& method, const std::string& prompt,
                                             const CallScope& scope, v1::Usage* usage) const;
  absl::StatusOr<v1::MethodScore> ScoreCombined(const v1::ScoreRequest& request,
                                                const CallScope& scope, v1::Usage* usage,
                                                std::string* path) const;
  // The configured combination of `scores` (method -> score).
  double Combine(const std::map<std::string, double>& scores) const;
  double Calibrated(const std::string& method, double raw, double uncalibrated) const;
  void Record(const v1::MethodScore& score) const;

  JudgeOptions options_;
  std::unique_ptr<VerdictClient> llm_;
  JudgeMetrics* metrics_;
};

}  // namespace cascade::judge
