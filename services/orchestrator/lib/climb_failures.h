#pragma once

// How the cascade reads failures, in one place: what a tier's error means for its circuit
// breaker and the climb, and which status a client gets when no tier answered.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cascade::orchestrator {

struct TierFailure {
  // The tier refused this request: INVALID_ARGUMENT or OUT_OF_RANGE (a max_tokens over its
  // limit, say) or NOT_FOUND (a replay tier with no record of it). A tier that refuses is
  // healthy: that must not open its circuit for everyone else.
  bool refused = false;
  // The escalation's reason label: "timeout" or "error".
  std::string escalation_reason;
};

TierFailure ClassifyTierFailure(const absl::Status& status);

// Why a climb stopped before its last tier.
inline constexpr absl::string_view kStoppedDeadline = "deadline";
inline constexpr absl::string_view kStoppedMaxTiers = "max_tiers";
inline constexpr absl::string_view kStoppedBudget = "budget";

// Every tier's failure in one climb, for the message a client reads.
class ClimbFailures {
 public:
  // A tier that was not called or did not answer (`error` says why).
  void Add(absl::string_view tier, absl::string_view error);
  // A tier that refused the request (TierFailure::refused).
  void AddRefusal(absl::string_view tier, const absl::Status& error);

  // The status of a climb that ended with no answer (the caller handles cancellation):
  // RESOURCE_EXHAUSTED when the budget stopped it, DEADLINE_EXCEEDED when time ran out (a
  // last tier that timed out counts: its own deadline can fire a moment before ours),
  // when every tier tried refused the request, NOT_FOUND if each said so (no replay tier
  // has a record of it) and INVALID_ARGUMENT otherwise; else UNAVAILABLE. The message names
  // each tier's error.
  absl::Status NoAnswer(absl::string_view stopped, std::optional<int64_t> budget_pusd,
                        bool out_of_time) const;

 private:
  std::vector<std::string> errors_;
  size_t refused_ = 0;
  bool every_refusal_not_found_ = true;
};

}  // namespace cascade::orchestrator
