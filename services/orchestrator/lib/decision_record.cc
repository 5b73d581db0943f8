#include "services/orchestrator/lib/decision_record.h"

#include "absl/strings/ascii.h"
#include "common/text/sha256.h"
#include "services/orchestrator/lib/answer_signals.h"

namespace cascade::orchestrator {
namespace {

using nlohmann::json;

json UsageJson(const v1::Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens()},
          {"completion_tokens", usage.completion_tokens()}};
}

json MessagesJson(const v1::CascadeRequest& request) {
  json messages = json::array();
  for (const auto& message : request.messages()) {
    messages.push_back({{"content", message.content()}, {"role", message.role()}});
  }
  return messages;
}

// The answer a tier gave, from the answers kept: the first of that tier not yet used.
const v1::CompleteResponse* AnswerOf(const std::string& tier,
                                     const std::vector<v1::CompleteResponse>* answers,
                                     size_t& next) {
  if (answers == nullptr) return nullptr;
  for (size_t i = next; i < answers->size(); ++i) {
    if ((*answers)[i].tier() == tier) {
      next = i + 1;
      return &(*answers)[i];
    }
  }
  return nullptr;
}

json AttemptJson(const v1::CascadeStep& step, const v1::CompleteResponse* answer,
                 bool include_prompt) {
  json attempt = {{"tier", step.tier()},
                  {"model", step.model()},
                  {"accepted", step.accepted()},
                  {"rule", step.method()},
                  {"confidence", step.confidence()},
                  {"signals", SignalsToJson(step.signals())},
                  {"usage", UsageJson(step.usage())},
                  {"cost_pusd", step.cost_pusd()},
                  {"latency_ms", step.latency_seconds() * 1000}};
  if (!step.error().empty()) attempt["error"] = step.error();
  if (answer != nullptr && answer->has_self_check()) {
    attempt["self_check_usage"] = UsageJson(answer->self_check().usage());
  }
  if (include_prompt && answer != nullptr) {
    attempt["answer"] = answer->text();
    json logprobs = json::array();
    for (const auto& token : answer->logprobs()) {
      logprobs.push_back({{"token", token.token()}, {"logprob", token.logprob()}});
    }
    attempt["logprobs"] = std::move(logprobs);
  }
  return attempt;
}

}  // namespace

std::string CanonicalMessagesJson(const v1::CascadeRequest& request) {
  return MessagesJson(request).dump(-1, ' ', false, json::error_handler_t::replace);
}

json DecisionJson(const FinishedRequest& finished, bool include_prompt) {
  const v1::CascadeRequest& request = *finished.request;
  json line = {{"request_id", finished.call->request_id},
               {"time", absl::FormatTime(absl::RFC3339_full, finished.began, absl::UTCTimeZone())},
               {"policy", finished.policy},
               {"tenant", request.tenant()},
               {"messages_sha256", Sha256Hex(CanonicalMessagesJson(request))},
               {"seconds", finished.seconds}};
  if (include_prompt) line["messages"] = MessagesJson(request);
  if (finished.start != nullptr) {
    line["route"] = finished.start->route;
    if (finished.start->route_score) line["route_score"] = *finished.start->route_score;
  }
  const absl::StatusOr<v1::CascadeResponse>& result = *finished.result;
  if (!result.ok()) {
    line["outcome"] = absl::AsciiStrToLower(absl::StatusCodeToString(result.status().code()));
    line["error"] = result.status().ToString();
    return line;
  }
  line["outcome"] = "ok";
  json attempts = json::array();
  size_t next_answer = 0;
  for (const v1::CascadeStep& step : result->steps()) {
    attempts.push_back(
        AttemptJson(step, AnswerOf(step.tier(), finished.answers, next_answer), include_prompt));
  }
  if (finished.start != nullptr && result->steps_size() > 0) {
    line["start"] = {{"tier", result->steps(0).tier()}, {"why", finished.start->why}};
    if (!finished.start->estimates.empty()) {
      json estimates = json::object();
      for (const v1::TierEstimate& estimate : finished.start->estimates) {
        estimates[estimate.tier()] = {{"probability", estimate.probability()},
                                      {"neighbours", estimate.neighbours()},
                                      {"mean_similarity", estimate.mean_similarity()}};
      }
      line["start"]["estimates"] = std::move(estimates);
      line["start"]["skipped"] = finished.start->skipped;
    }
  }
  line["attempts"] = std::move(attempts);
  line["final_tier"] = result->final_tier();
  line["cost_pusd"] = result->cost_pusd();
  line["baseline_cost_pusd"] = result->baseline_cost_pusd();
  line["savings_pusd"] = result->savings_pusd();
  if (!result->stopped_reason().empty()) line["stopped_reason"] = result->stopped_reason();
  if (result->has_cache()) {
    line["cache"] = {{"kind", result->cache().kind()},
                     {"original_cost_pusd", result->cache().original_cost_pusd()}};
    if (result->cache().kind() == "semantic") {
      line["cache"]["similarity"] = result->cache().similarity();
    }
    if (result->cache().has_verification_score()) {
      line["cache"]["verification_score"] = result->cache().verification_score();
    }
  }
  return line;
}

}  // namespace cascade::orchestrator
