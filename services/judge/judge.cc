#include "services/judge/judge.h"

#include <chrono>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/logger.h"
#include "common/validation/chat_messages.h"
#include "services/judge/lib/calibration.h"

namespace cascade::judge {
namespace {

using v1::MethodScore;
using v1::ScoreRequest;
using v1::ScoreResponse;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Judge::Judge(JudgeOptions options, std::unique_ptr<VerdictClient> llm, JudgeMetrics* metrics)
    : options_(std::move(options)), llm_(std::move(llm)), metrics_(metrics) {}

double Judge::Calibrated(const std::string& method, double raw, double uncalibrated) const {
  auto it = options_.calibration.find(method);
  return it == options_.calibration.end() ? uncalibrated : it->second.Apply(raw);
}

void Judge::Record(const MethodScore& score) const {
  if (metrics_ != nullptr) {
    metrics_->RecordMethod(score.method(), score.score(), score.latency_seconds(),
                           score.cost_pusd());
  }
}

double Judge::Combine(const std::map<std::string, double>& scores) const {
  const CombinedOptions& c = options_.combined;
  double weighted = 0;
  double weights = 0;
  for (const auto& [method, score] : scores) {
    auto it = c.weights.find(method);
    const double weight = it == c.weights.end() ? 1.0 : it->second;
    weighted += weight * score;
    weights += weight;
  }
  if (c.logistic) return LogisticMap{1, c.bias}.Apply(weighted);
  if (weights <= 0) return 0;
  return weighted / weights;
}

absl::StatusOr<MethodScore> Judge::ScoreLogprob(const ScoreRequest& request) const {
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<double> aggregate =
      ComputeLogprobAggregate(options_.aggregate, request.answer_logprobs());
  if (!aggregate.ok()) return aggregate.status();
  MethodScore score;
  score.set_method(kLogprobMethod);
  const double raw_score = LogprobScore(*aggregate);
  score.set_score(Calibrated(kLogprobMethod, *aggregate, raw_score));
  score.set_rationale(
      absl::StrFormat("%s logprob %.4f over %d tokens (exp = %.4f)%s", options_.aggregate.Name(),
                      *aggregate, request.answer_logprobs_size(), raw_score,
                      options_.calibration.count(kLogprobMethod) ? ", calibrated" : ""));
  score.set_latency_seconds(SecondsSince(start));
  return score;
}

MethodScore Judge::ScoreValidators(const ScoreRequest& request) const {
  const auto start = std::chrono::steady_clock::now();
  const ValidationResult result = ValidateAnswer(request.answer(), request.finish_reason(),
                                                 request.response_format(), options_.validators);
  MethodScore score;
  score.set_method(kValidatorsMethod);
  score.set_score(Calibrated(kValidatorsMethod, result.score, result.score));
  score.set_rationale(result.ok() ? "every check passed" : result.rationale);
  score.set_latency_seconds(SecondsSince(start));
  return score;
}

absl::StatusOr<MethodScore> Judge::ScoreLlm(const ScoreRequest& request, const CallScope& scope,
                                            v1::Usage* usage) const {
  if (llm_ == nullptr) {
    return absl::FailedPreconditionError(
        "the llm method needs a tier worker: set llm_tier.address in the judge's config");
  }
  const std::string query = LastUserMessage(request.messages());
  if (query.empty()) {
    return absl::InvalidArgumentError(
        "the llm method needs the conversation: messages has no non-empty user message");
  }
  absl::StatusOr<std::string> prompt =
      RenderJudgePrompt(options_.prompt_template, query, request.answer());
  if (!prompt.ok()) return prompt.status();
  return AskVerdict(kLlmMethod, *prompt, scope, usage);
}

absl::StatusOr<MethodScore> Judge::ScoreEquivalence(const ScoreRequest& request,
                                                    const CallScope& scope,
                                                    v1::Usage* usage) const {
  if (request.reference_answer().empty()) {
    return absl::InvalidArgumentError(
        "the equivalence method compares the answer with reference_answer, which is empty");
  }
  if (request.reference_answer().size() > options_.max_answer_bytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reference_answer is %d bytes; the judge takes at most %d (max_answer_bytes)",
        request.reference_answer().size(), options_.max_answer_bytes));
  }
  if (llm_ == nullptr) {
    return absl::FailedPreconditionError(
        "the equivalence method needs a tier worker: set llm_tier.address in the judge's config");
  }
  const std::string query = LastUserMessage(request.messages());
  if (query.empty()) {
    return absl::InvalidArgumentError(
        "the equivalence method needs the conversation: messages has no non-empty user message");
  }
  absl::StatusOr<std::string> prompt =
      RenderEquivalencePrompt(query, request.reference_answer(), request.answer());
  if (!prompt.ok()) return prompt.status();
  return AskVerdict(kEquivalenceMethod, *prompt, scope, usage);
}

absl::StatusOr<MethodScore> Judge::AskVerdict(const std::string& method, const std::string& prompt,
                                              const CallScope& scope, v1::Usage* usage) const {
  const auto start = std::chrono::steady_clock::now();
  v1::CompleteRequest call;
  v1::ChatMessage* message = call.add_messages();
  message->set_role("user");
  message->set_content(prompt);
  v1::GenerationParams* params = call.mutable_params();
  params->set_max_tokens(options_.max_tokens);
  params->set_temperature(0);
  params->set_logprobs(true);
  params->set_top_logprobs(options_.top_logprobs);
  absl::StatusOr<v1::CompleteResponse> reply = llm_->Complete(call, scope);
  if (!reply.ok()) return reply.status();

  const v1::TokenLogprob* first = reply->logprobs().empty() ? nullptr : &reply->logprobs(0);
  absl::StatusOr<Verdict> verdict = ReadVerdict(reply->text(), first, options_.verdict_words);
  // The call was made and paid for whether or not its reply was a verdict.
  usage->set_prompt_tokens(usage->prompt_tokens() + reply->usage().prompt_tokens());
  usage->set_completion_tokens(usage->completion_tokens() + reply->usage().completion_tokens());
  if (!verdict.ok()) return verdict.status();

  MethodScore score;
  score.set_method(method);
  score.set_score(Calibrated(method, verdict->score, verdict->score));
  score.set_path(verdict->path);
  score.set_cost_pusd(reply->cost_pusd());
  score.set_rationale(
      absl::StrCat(verdict->rationale, "; tier ", reply->tier(), " (", llm_->address(), ")"));
  score.set_latency_seconds(SecondsSince(start));
  return score;
}

absl::StatusOr<MethodScore> Judge::ScoreCombined(const ScoreRequest& request,
                                                 const CallScope& scope, v1::Usage* usage,
                                                 std::string* path) const {
  const auto start = std::chrono::steady_clock::now();
  const CombinedOptions& c = options_.combined;
  MethodScore combined;
  combined.set_method(kCombinedMethod);
  auto finish = [&](double score, const std::string& rationale) {
    combined.set_score(std::clamp(score, 0.0, 1.0));
    combined.set_rationale(rationale);
    combined.set_latency_seconds(SecondsSince(start));
    return combined;
  };

  std::map<std::string, double> cheap;
  const MethodScore validators = ScoreValidators(request);
  if (c.validators_veto && validators.score() <= 0) {
    return finish(0, absl::StrCat("validators veto: ", validators.rationale()));
  }
  if (!c.validators_veto) cheap[kValidatorsMethod] = validators.score();
  std::string logprob_note = "no logprobs";
  if (!request.answer_logprobs().empty()) {
    absl::StatusOr<MethodScore> logprob = ScoreLogprob(request);
    if (!logprob.ok()) return logprob.status();
    cheap[kLogprobMethod] = logprob->score();
    logprob_note = absl::StrFormat("logprob %.4f", logprob->score());
  }
  if (cheap.count(kLogprobMethod) > 0) {
    const double cheap_score = Combine(cheap);
    if (cheap_score >= c.accept_above || cheap_score <= c.reject_below) {
      return finish(cheap_score,
                    absl::StrFormat("cheap methods decisive (%.4f, %s): llm not called",
                                    cheap_score, logprob_note));
    }
  }

  absl::StatusOr<MethodScore> llm = ScoreLlm(request, scope, usage);
  if (!llm.ok()) {
    if (!c.degrade_on_llm_error || cheap.empty()) return llm.status();
    LogWarn("judge_degraded", {{"reason", "llm_error"}, {"error", llm.status().ToString()}});
    if (metrics_ != nullptr) metrics_->RecordDegraded("llm_error");
    return finish(Combine(cheap), absl::StrCat("degraded to the cheap methods (", logprob_note,
                                               "): ", llm.status().message()));
  }
  *path = llm->path();
  combined.set_cost_pusd(llm->cost_pusd());
  Record(*llm);
  cheap[kLlmMethod] = llm->score();
  return finish(Combine(cheap),
                absl::StrFormat("%s, llm %.4f (%s)", logprob_note, llm->score(), llm->path()));
}

absl::StatusOr<ScoreResponse> Judge::Score(const ScoreRequest& request,
                                           const CallScope& scope) const {
  if (request.answer().size() > options_.max_answer_bytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("answer is %d bytes; the judge takes at most %d (max_answer_bytes)",
                        request.answer().size(), options_.max_answer_bytes));
  }
  if (static_cast<size_t>(request.answer_logprobs_size()) > options_.max_logprobs) {
    return absl::InvalidArgumentError(
        absl::StrFormat("answer_logprobs has %d entries; the judge takes at most %d (max_logprobs)",
                        request.answer_logprobs_size(), options_.max_logprobs));
  }
  // Bad logprobs are the caller's bug whichever methods run: say so rather than ignore.
  if (!request.answer_logprobs().empty()) {
    if (absl::Status status = ValidateLogprobs(request.answer_logprobs()); !status.ok()) {
      return status;
    }
  }
  std::vector<std::string> methods(request.methods().begin(), request.methods().end());
  if (methods.empty()) methods = options_.default_methods;
  std::set<std::string> seen;
  for (size_t i = 0; i < methods.size(); ++i) {
    if (methods[i].empty()) {
      return absl::InvalidArgumentError(absl::StrFormat("methods[%d] is empty", i));
    }
    if (!IsKnownMethod(methods[i]) && methods[i] != kEquivalenceMethod) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown method '", methods[i],
                       "': use logprob, llm, validators, combined or equivalence"));
    }
    if (!seen.insert(methods[i]).second) {
      return absl::InvalidArgumentError(absl::StrCat("method '", methods[i], "' is listed twice"));
    }
  }

  ScoreResponse response;
  std::string path;
  std::map<std::string, double> scores;
  std::optional<double> combined_score;
  for (const std::string& method : methods) {
    absl::StatusOr<MethodScore> score;
    if (method == kLogprobMethod) {
      score = ScoreLogprob(request);
    } else if (method == kValidatorsMethod) {
      score = ScoreValidators(request);
    } else if (method == kLlmMethod) {
      score = ScoreLlm(request, scope, response.mutable_usage());
      if (score.ok()) path = score->path();
    } else if (method == kEquivalenceMethod) {
      score = ScoreEquivalence(request, scope, response.mutable_usage());
      if (score.ok()) path = score->path();
    } else {
      score = ScoreCombined(request, scope, response.mutable_usage(), &path);
      if (score.ok()) combined_score = score->score();
    }
    if (!score.ok()) return score.status();
    Record(*score);
    if (method != kCombinedMethod) scores[method] = score->score();
    response.set_cost_pusd(response.cost_pusd() + score->cost_pusd());
    *response.add_methods() = *std::move(score);
  }
  // With "combined" asked its score is the answer; otherwise the configured combination
  // of the methods asked (one method: its own score).
  const double score = combined_score.has_value()
                           ? *combined_score
                           : (scores.size() == 1 ? scores.begin()->second : Combine(scores));
  response.set_score(std::clamp(score, 0.0, 1.0));
  response.set_path(path);
  std::string rationale;
  for (const MethodScore& m : response.methods()) {
    absl::StrAppend(&rationale, rationale.empty() ? "" : " | ", m.method(), ": ", m.rationale());
  }
  response.set_rationale(rationale);
  return response;
}

}  // namespace cascade::judge
