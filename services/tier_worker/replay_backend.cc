#include "services/tier_worker/replay_backend.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteResponse;

// The pieces the answer streams in: its recorded tokens when they spell it exactly.
std::vector<CompleteChunk> Deltas(const outcomes::ModelOutcome& outcome, bool with_logprobs) {
  std::string spelled;
  for (const auto& token : outcome.logprobs) spelled += token.token();
  std::vector<CompleteChunk> deltas;
  if (!outcome.logprobs.empty() && spelled == outcome.answer) {
    for (const auto& token : outcome.logprobs) {
      CompleteChunk& delta = deltas.emplace_back();
      delta.set_text(token.token());
      if (with_logprobs) *delta.add_logprobs() = token;
    }
    return deltas;
  }
  CompleteChunk& whole = deltas.emplace_back();
  whole.set_text(outcome.answer);
  if (with_logprobs) {
    for (const auto& token : outcome.logprobs) *whole.add_logprobs() = token;
  }
  return deltas;
}

std::string Describe(const cascade::v1::CompleteRequest& request) {
  std::string last_user;
  for (const auto& message : request.messages()) {
    if (message.role() == "user") last_user = message.content();
  }
  if (last_user.size() > 80) last_user = absl::StrCat(last_user.substr(0, 77), "...");
  return absl::StrCat(request.messages_size(), " message(s), the last user message \"", last_user,
                      "\"");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplayBackend>> ReplayBackend::Load(ReplayBackendOptions options) {
  if (options.outcomes_path.empty()) {
    return absl::FailedPreconditionError("replay.outcomes: the outcomes file is required");
  }
  if (options.model.empty()) {
    return absl::FailedPreconditionError("replay.model: the model to replay is required");
  }
  auto records = outcomes::ReadOutcomesFile(options.outcomes_path);
  if (!records.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("replay.outcomes: ", records.status().message()));
  }
  absl::flat_hash_map<std::string, outcomes::ModelOutcome> by_messages;
  bool has_logprobs = false;
  for (auto& record : *records) {
    const outcomes::ModelOutcome* outcome = record.Find(options.model);
    if (outcome == nullptr) continue;
    has_logprobs |= !outcome->logprobs.empty();
    // The first record of a conversation answers it (a file may hold a query twice).
    by_messages.emplace(outcomes::MessagesKey(record.messages), *outcome);
  }
  if (by_messages.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("replay.model '", options.model,
                                                      "' answered none of the ", records->size(),
                                                      " queries in ", options.outcomes_path));
  }
  BackendInfo info{"replay", options.model, has_logprobs};
  return std::unique_ptr<ReplayBackend>(
      new ReplayBackend(std::move(options), std::move(info), std::move(by_messages)));
}

absl::StatusOr<const outcomes::ModelOutcome*> ReplayBackend::Find(
    const cascade::v1::CompleteRequest& request) const {
  const std::vector<cascade::v1::ChatMessage> messages(request.messages().begin(),
                                                       request.messages().end());
  auto it = by_messages_.find(outcomes::MessagesKey(messages));
  if (it == by_messages_.end()) {
    return absl::NotFoundError(absl::StrCat("no recorded answer of '", options_.model, "' in ",
                                            options_.outcomes_path, " for ", Describe(request)));
  }
  return &it->second;
}

absl::StatusOr<cascade::v1::SelfCheck> ReplayBackend::RecordedSelfCheck(
    const cascade::v1::CompleteRequest& request) {
  auto outcome = Find(request);
  if (!outcome.ok()) return outcome.status();
  if (!(*outcome)->self_check.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the recorded answer of '", options_.model, "' in ", options_.outcomes_path,
                     " has no self_check for ", Describe(request)));
  }
  cascade::v1::SelfCheck check;
  check.set_p_yes((*outcome)->self_check->p_yes);
  check.set_source("recorded");
  *check.mutable_usage() = (*outcome)->self_check->usage;
  return check;
}

absl::StatusOr<CompleteResponse> ReplayBackend::Complete(
    const cascade::v1::CompleteRequest& request, const CallContext& context, DeltaSink* sink) {
  auto found = Find(request);
  if (!found.ok()) return found.status();
  const outcomes::ModelOutcome& outcome = **found;
  const bool with_logprobs = request.params().logprobs() || request.params().top_logprobs() > 0;
  if (sink != nullptr) {
    for (const CompleteChunk& delta : Deltas(outcome, with_logprobs)) {
      if (context.cancel != nullptr && context.cancel->IsCancelled()) {
        return absl::CancelledError("the caller cancelled");
      }
      if (!sink->OnDelta(delta)) return absl::CancelledError("the caller went away");
    }
  }
  CompleteResponse response;
  response.set_text(outcome.answer);
  response.set_finish_reason(cascade::v1::FINISH_REASON_STOP);
  if (with_logprobs) {
    for (const auto& token : outcome.logprobs) *response.add_logprobs() = token;
  }
  *response.mutable_usage() = outcome.usage;
  response.set_usage_estimated(outcome.usage_estimated);
  response.set_upstream_model(options_.model);
  return response;
}

}  // namespace cascade::tier_worker
