#pragma once

// A backend that answers as a recorded model answered: each request is matched to its
// record in an outcomes file (docs/outcomes.md) by its messages, roles and contents
// exactly, and gets that model's recorded answer, token logprobs and usage. With it, a
// recorded cascade of real models replays through the real orchestrator, judge and
// metrics with no model running. No record (or none for this model): NOT_FOUND naming what
// was looked up.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/outcomes/recorded_answers.h"
#include "services/tier_worker/backend.h"

namespace cascade::tier_worker {

struct ReplayBackendOptions {
  std::string outcomes_path;
  std::string model;  // The model whose answers are replayed.
};

class ReplayBackend final : public Backend {
 public:
  // Reads the whole file. FAILED_PRECONDITION (the server then exits 78) for a bad file,
  // naming its path and line, or a model that answered none of its queries.
  static absl::StatusOr<std::unique_ptr<ReplayBackend>> Load(ReplayBackendOptions options);

  const BackendInfo& info() const override { return info_; }
  // Streams the answer token by token when its logprobs spell it out, else in one piece.
  absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context,
      DeltaSink* sink) override;

  bool ReplaysSelfChecks() const override { return true; }
  // NOT_FOUND as Complete; FAILED_PRECONDITION when the record has no self_check.
  absl::StatusOr<cascade::v1::SelfCheck> RecordedSelfCheck(
      const cascade::v1::CompleteRequest& request) override;

  // How many conversations the model's answers cover.
  size_t conversations() const { return answers_.size(); }

 private:
  ReplayBackend(ReplayBackendOptions options, BackendInfo info, outcomes::RecordedAnswers answers)
      : options_(std::move(options)), info_(std::move(info)), answers_(std::move(answers)) {}

  // The request's record, or NOT_FOUND naming what was looked up.
  absl::StatusOr<const outcomes::ModelOutcome*> Find(
      const cascade::v1::CompleteRequest& request) const;

  ReplayBackendOptions options_;
  BackendInfo info_;
  outcomes::RecordedAnswers answers_;
};

}  // namespace cascade::tier_worker
