#pragma once

// A tier of the orchestrator answered in-process from an outcomes file: what a replay tier
// worker would answer (the recorded answer, logprobs, usage, self-check), priced the same
// way, without a server. `cascadectl policy eval` runs the real Orchestrator over these, so
// its arithmetic is the orchestrator's own.

#include <string>

#include "common/outcomes/prices.h"
#include "common/outcomes/recorded_answers.h"
#include "services/orchestrator/lib/clients.h"

namespace cascade::policy {

class OutcomesTierClient final : public orchestrator::TierClient {
 public:
  OutcomesTierClient(std::string tier, std::string model, outcomes::RecordedAnswers answers,
                     outcomes::ModelPrice price)
      : tier_(std::move(tier)),
        model_(std::move(model)),
        answers_(std::move(answers)),
        price_(price) {}

  // NOT_FOUND for a conversation the model has no answer to. A self-check asked of a
  // record without one comes back with its error set, as from a tier worker.
  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                const orchestrator::DownstreamCall& call,
                                                const orchestrator::TextSink* on_text) override;
  absl::StatusOr<v1::DescribeResponse> Describe(const orchestrator::DownstreamCall& call) override;

 private:
  std::string tier_;
  std::string model_;
  outcomes::RecordedAnswers answers_;
  outcomes::ModelPrice price_;
};

}  // namespace cascade::policy
