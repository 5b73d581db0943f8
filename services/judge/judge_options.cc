#include "services/judge/judge_options.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cascade::judge {
namespace {

absl::Status ConfigError(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("judge config: ", field, ": ", why));
}

}  // namespace

bool IsKnownMethod(const std::string& method) {
  return method == kLogprobMethod || method == kLlmMethod || method == kValidatorsMethod ||
         method == kCombinedMethod;
}

absl::StatusOr<JudgeOptions> JudgeOptionsFromConfig(const v1::JudgeConfig& config) {
  JudgeOptions options;
  if (!config.default_methods().empty()) {
    options.default_methods.assign(config.default_methods().begin(),
                                   config.default_methods().end());
  }
  for (const std::string& method : options.default_methods) {
    if (!IsKnownMethod(method)) {
      return ConfigError("default_methods", absl::StrCat("unknown method '", method,
                                                         "': use logprob, llm, validators or "
                                                         "combined"));
    }
  }
  const bool uses_llm = [&] {
    for (const std::string& m : options.default_methods) {
      if (m == kLlmMethod || m == kCombinedMethod) return true;
    }
    return false;
  }();
  if (uses_llm && config.llm_tier().address().empty()) {
    return ConfigError("llm_tier.address",
                       "default_methods use the llm (llm or combined) but no tier worker is set");
  }
  if (!config.logprob_aggregate().empty()) {
    auto aggregate = ParseLogprobAggregate(config.logprob_aggregate());
    if (!aggregate.ok()) return ConfigError("logprob_aggregate", aggregate.status().message());
    options.aggregate = *aggregate;
  }
  for (const std::string& pattern : config.refusal_patterns()) {
    if (pattern.empty()) return ConfigError("refusal_patterns", "a pattern is empty");
    options.validators.refusal_patterns.push_back(absl::AsciiStrToLower(pattern));
  }

  const v1::JudgeLlmConfig& llm = config.llm();
  if (!llm.prompt_template().empty()) {
    auto rendered = RenderJudgePrompt(llm.prompt_template(), "", "");
    if (!rendered.ok()) return ConfigError("llm.prompt_template", rendered.status().message());
    options.prompt_template = llm.prompt_template();
  }
  if (!llm.yes_words().empty()) {
    options.verdict_words.yes.assign(llm.yes_words().begin(), llm.yes_words().end());
  }
  if (!llm.no_words().empty()) {
    options.verdict_words.no.assign(llm.no_words().begin(), llm.no_words().end());
  }
  options.verdict_words.case_sensitive = llm.case_sensitive();
  if (absl::Status words = ValidateVerdictWords(options.verdict_words); !words.ok()) {
    return ConfigError("llm.yes_words/no_words", words.message());
  }
  if (llm.top_logprobs() != 0) {
    if (llm.top_logprobs() < 1 || llm.top_logprobs() > 20) {
      return ConfigError("llm.top_logprobs", "must be in 1..20");
    }
    options.top_logprobs = llm.top_logprobs();
  }
  if (llm.max_tokens() != 0) {
    if (llm.max_tokens() < 1 || llm.max_tokens() > 64) {
      return ConfigError("llm.max_tokens", "must be in 1..64 (the verdict is one word)");
    }
    options.max_tokens = llm.max_tokens();
  }

  const v1::JudgeCombinedConfig& combined = config.combined();
  CombinedOptions& c = options.combined;
  if (combined.mode() == "logistic") {
    c.logistic = true;
  } else if (!combined.mode().empty() && combined.mode() != "weighted") {
    return ConfigError("combined.mode",
                       absl::StrCat("'", combined.mode(), "': use weighted or logistic"));
  }
  const double default_weight = c.logistic ? 0.0 : 1.0;
  c.weights[kLogprobMethod] =
      combined.has_logprob_weight() ? combined.logprob_weight() : default_weight;
  c.weights[kValidatorsMethod] =
      combined.has_validators_weight() ? combined.validators_weight() : default_weight;
  c.weights[kLlmMethod] = combined.has_llm_weight() ? combined.llm_weight() : default_weight;
  for (const auto& [method, weight] : c.weights) {
    if (!std::isfinite(weight) || (!c.logistic && weight < 0)) {
      return ConfigError(absl::StrCat("combined.", method, "_weight"),
                         "must be a finite number (>= 0 in weighted mode)");
    }
  }
  c.bias = combined.bias();
  if (combined.has_accept_above()) c.accept_above = combined.accept_above();
  if (combined.has_reject_below()) c.reject_below = combined.reject_below();
  if (!(c.reject_below < c.accept_above)) {
    return ConfigError("combined.reject_below",
                       "must be below combined.accept_above (1.1 / -0.1 turn short-circuits off)");
  }
  if (combined.has_validators_veto()) c.validators_veto = combined.validators_veto();
  if (combined.on_llm_error() == "fail") {
    c.degrade_on_llm_error = false;
  } else if (!combined.on_llm_error().empty() && combined.on_llm_error() != "degrade") {
    return ConfigError("combined.on_llm_error",
                       absl::StrCat("'", combined.on_llm_error(), "': use degrade or fail"));
  }

  for (const v1::JudgeCalibrationConfig& map : config.calibration()) {
    if (map.method() != kLogprobMethod && map.method() != kLlmMethod &&
        map.method() != kValidatorsMethod) {
      return ConfigError("calibration.method",
                         absl::StrCat("'", map.method(), "': use logprob, llm or validators"));
    }
    if (!std::isfinite(map.slope()) || !std::isfinite(map.intercept())) {
      return ConfigError("calibration", "slope and intercept must be finite");
    }
    if (!options.calibration.emplace(map.method(), LogisticMap{map.slope(), map.intercept()})
             .second) {
      return ConfigError("calibration", absl::StrCat("two maps for method '", map.method(), "'"));
    }
  }
  if (config.max_answer_bytes() < 0 || config.max_logprobs() < 0) {
    return ConfigError("max_answer_bytes/max_logprobs", "must be >= 0 (0 = the default)");
  }
  if (config.max_answer_bytes() > 0) options.max_answer_bytes = config.max_answer_bytes();
  if (config.max_logprobs() > 0) options.max_logprobs = config.max_logprobs();
  return options;
}

}  // namespace cascade::judge
