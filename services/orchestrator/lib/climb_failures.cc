#include "services/orchestrator/lib/climb_failures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cascade::orchestrator {

TierFailure ClassifyTierFailure(const absl::Status& status) {
  TierFailure failure;
  failure.refused = status.code() == absl::StatusCode::kInvalidArgument ||
                    status.code() == absl::StatusCode::kOutOfRange ||
                    status.code() == absl::StatusCode::kNotFound;
  failure.escalation_reason =
      status.code() == absl::StatusCode::kDeadlineExceeded ? "timeout" : "error";
  return failure;
}

void ClimbFailures::Add(absl::string_view tier, absl::string_view error) {
  errors_.push_back(absl::StrCat(tier, ": ", error));
}

void ClimbFailures::AddRefusal(absl::string_view tier, const absl::Status& error) {
  Add(tier, error.ToString());
  ++refused_;
  every_refusal_not_found_ &= error.code() == absl::StatusCode::kNotFound;
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
  if (refused_ > 0 && refused_ == errors_.size()) {
    const std::string message = absl::StrCat("every tier tried refused the request: ", trace);
    return every_refusal_not_found_ ? absl::NotFoundError(message)
                                    : absl::InvalidArgumentError(message);
  }
  return absl::UnavailableError(absl::StrCat("every tier tried failed: ", trace));
}

}  // namespace cascade::orchestrator
