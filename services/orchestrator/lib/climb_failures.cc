#include "services/orchestrator/lib/climb_failures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cascade::orchestrator {

TierFailure ClassifyTierFailure(const absl::Status& status) {
  TierFailure failure;
  failure.refused_as_invalid = status.code() == absl::StatusCode::kInvalidArgument ||
                               status.code() == absl::StatusCode::kOutOfRange;
  failure.escalation_reason =
      status.code() == absl::StatusCode::kDeadlineExceeded ? "timeout" : "error";
  return failure;
}

void ClimbFailures::Add(absl::string_view tier, absl::string_view error, bool refused_as_invalid) {
  errors_.push_back(absl::StrCat(tier, ": ", error));
  if (refused_as_invalid) ++refused_as_invalid_;
}

absl::Status ClimbFailures::NoAnswer(absl::string_view stopped, std::optional<int64_t> budget_pusd,
                                     bool out_of_time) const {
  const std::string trace = absl::StrJoin(errors_, "; ");
  if (stopped == kStoppedBudget) {
    return absl::ResourceExhaustedError(absl::StrCat("budget_pusd ", budget_pusd.value_or(0),
                                                     " cannot pay for the next tier: ", trace));
  }
  // The client must not see UNAVAILABLE for a request that was too slow.
  if (out_of_time) {
    return absl::DeadlineExceededError(
        absl::StrCat("the deadline passed before any tier answered: ", trace));
  }
  if (refused_as_invalid_ > 0 && refused_as_invalid_ == errors_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("every tier tried refused the request: ", trace));
  }
  return absl::UnavailableError(absl::StrCat("every tier tried failed: ", trace));
}

}  // namespace cascade::orchestrator
