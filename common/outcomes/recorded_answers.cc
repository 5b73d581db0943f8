#include "common/outcomes/recorded_answers.h"

#include "absl/strings/str_cat.h"

namespace cascade::outcomes {

absl::StatusOr<RecordedAnswers> RecordedAnswers::FromRecords(
    const std::vector<OutcomeRecord>& records, const std::string& model) {
  RecordedAnswers answers;
  for (const auto& record : records) {
    const ModelOutcome* outcome = record.Find(model);
    if (outcome == nullptr) continue;
    answers.has_logprobs_ |= !outcome->logprobs.empty();
    answers.by_messages_.emplace(MessagesKey(record.messages), *outcome);
  }
  if (answers.by_messages_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", model, "' answered none of the ", records.size(), " queries"));
  }
  return answers;
}

const ModelOutcome* RecordedAnswers::Find(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) const {
  const std::vector<v1::ChatMessage> list(messages.begin(), messages.end());
  auto it = by_messages_.find(MessagesKey(list));
  return it == by_messages_.end() ? nullptr : &it->second;
}

v1::CompleteResponse RecordedResponse(const ModelOutcome& outcome, const std::string& model,
                                      bool with_logprobs) {
  v1::CompleteResponse response;
  response.set_text(outcome.answer);
  response.set_finish_reason(v1::FINISH_REASON_STOP);
  if (with_logprobs) {
    for (const auto& token : outcome.logprobs) *response.add_logprobs() = token;
  }
  *response.mutable_usage() = outcome.usage;
  response.set_usage_estimated(outcome.usage_estimated);
  response.set_upstream_model(model);
  return response;
}

std::optional<v1::SelfCheck> RecordedSelfCheck(const ModelOutcome& outcome) {
  if (!outcome.self_check) return std::nullopt;
  v1::SelfCheck check;
  check.set_p_yes(outcome.self_check->p_yes);
  check.set_source("recorded");
  *check.mutable_usage() = outcome.self_check->usage;
  return check;
}

std::string DescribeConversation(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  std::string last_user;
  for (const auto& message : messages) {
    if (message.role() == "user") last_user = message.content();
  }
  if (last_user.size() > 80) last_user = absl::StrCat(last_user.substr(0, 77), "...");
  return absl::StrCat(messages.size(), " message(s), the last user message \"", last_user, "\"");
}

}  // namespace cascade::outcomes
