#pragma once

// A tier's model judging its own answer (the "self-reflection" confidence signal): a second
// call to the same backend with the self-check prompt (the query and the answer filled
// in), one output token, P(yes) read from that token's top logprobs. A backend that
// replays recorded answers returns the self-check recorded with them instead. The check
// never costs the caller the answer: a failed check comes back with its error set.

#include <string>

#include "cascade/v1/tier.pb.h"
#include "services/tier_worker/backend.h"
#include "services/tier_worker/price_table.h"

namespace cascade::tier_worker {

struct SelfCheckOptions {
  // {query} and {answer} are filled in; must contain {answer}. Empty: the judge's default
  // self-reflection prompt.
  std::string prompt;
};

// INVALID_ARGUMENT when the prompt lacks {answer}.
absl::Status ValidateSelfCheckOptions(const SelfCheckOptions& options);

class SelfChecker {
 public:
  // `backend` must outlive the checker.
  SelfChecker(SelfCheckOptions options, Backend* backend, ModelPrice price);

  // The check of `answer` to `request`, priced at the tier's price. Never fails: an
  // upstream error or a reply that is no verdict is reported in SelfCheck.error.
  cascade::v1::SelfCheck Check(const cascade::v1::CompleteRequest& request,
                               const cascade::v1::CompleteResponse& answer,
                               const CallContext& context) const;

  // The second call's request: the rendered prompt as one user message, greedy, one
  // token, top logprobs where the backend has them.
  absl::StatusOr<cascade::v1::CompleteRequest> CheckRequest(
      const cascade::v1::CompleteRequest& request,
      const cascade::v1::CompleteResponse& answer) const;

 private:
  absl::StatusOr<cascade::v1::SelfCheck> AskModel(const cascade::v1::CompleteRequest& request,
                                                  const cascade::v1::CompleteResponse& answer,
                                                  const CallContext& context) const;

  SelfCheckOptions options_;
  Backend* backend_;
  ModelPrice price_;
};

}  // namespace cascade::tier_worker
