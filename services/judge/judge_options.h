#pragma once

// The judge's settings, checked and defaulted from cascade.v1.JudgeConfig.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/judge/lib/answer_validators.h"
#include "services/judge/lib/calibration.h"
#include "services/judge/lib/llm_verdict.h"
#include "services/judge/lib/logprob_aggregate.h"

namespace cascade::judge {

inline constexpr char kLogprobMethod[] = "logprob";
inline constexpr char kLlmMethod[] = "llm";
inline constexpr char kValidatorsMethod[] = "validators";
inline constexpr char kCombinedMethod[] = "combined";
// Asked by name only (never a default): needs ScoreRequest.reference_answer.
inline constexpr char kEquivalenceMethod[] = "equivalence";

struct CombinedOptions {
  bool logistic = false;
  // Per method ("logprob", "validators", "llm").
  std::map<std::string, double> weights;
  double bias = 0;
  double accept_above = 0.9;
  double reject_below = 0.1;
  bool validators_veto = true;
  bool degrade_on_llm_error = true;
};

struct JudgeOptions {
  std::vector<std::string> default_methods = {kLogprobMethod};
  LogprobAggregate aggregate;
  ValidatorOptions validators;
  std::string prompt_template = kDefaultJudgePrompt;
  VerdictWords verdict_words;
  int top_logprobs = 20;
  int max_tokens = 4;
  CombinedOptions combined;
  std::map<std::string, LogisticMap> calibration;
  size_t max_answer_bytes = 1 << 20;
  size_t max_logprobs = 65536;
};

// INVALID_ARGUMENT naming the config field and what to write instead.
absl::StatusOr<JudgeOptions> JudgeOptionsFromConfig(const v1::JudgeConfig& config);

bool IsKnownMethod(const std::string& method);

}  // namespace cascade::judge
