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
  auto answers = outcomes::RecordedAnswers::FromRecords(*records, options.model);
  if (!answers.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("replay.model: ", answers.status().message(), " in ", options.outcomes_path));
  }
  BackendInfo info{"replay", options.model, answers->has_logprobs()};
  return std::unique_ptr<ReplayBackend>(
      new ReplayBackend(std::move(options), std::move(info), *std::move(answers)));
}

absl::StatusOr<const outcomes::ModelOutcome*> ReplayBackend::Find(
    const cascade::v1::CompleteRequest& request) const {
  const outcomes::ModelOutcome* outcome = answers_.Find(request.messages());
  if (outcome == nullptr) {
    return absl::NotFoundError(absl::StrCat("no recorded answer of '", options_.model, "' in ",
                                            options_.outcomes_path, " for ",
                                            outcomes::DescribeConversation(request.messages())));
  }
  return outcome;
}

absl::StatusOr<cascade::v1::SelfCheck> ReplayBackend::RecordedSelfCheck(
    const cascade::v1::CompleteRequest& request) {
  auto outcome = Find(request);
  if (!outcome.ok()) return outcome.status();
  std::optional<cascade::v1::SelfCheck> check = outcomes::RecordedSelfCheck(**outcome);
  if (!check) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the recorded answer of '", options_.model, "' in ", options_.outcomes_path,
        " has no self_check for ", outcomes::DescribeConversation(request.messages())));
  }
  return *check;
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
  return outcomes::RecordedResponse(outcome, options_.model, with_logprobs);
}

}  // namespace cascade::tier_worker
