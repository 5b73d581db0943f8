#pragma once

// One request's climb up the policy's ladder. Each Step tries one tier, reads its signals
// and accepts the answer or climbs; the run stops at an accepted answer, at the last tier it
// may try, or when the deadline, max_tiers or the budget says so. Rules:
// - Deadline: a tier that is not the last one that can be tried gets half of the time
//   left, so the tiers above it keep the other half; the last gets all of it.
// - Budget: before each tier, its expected cost (cost_estimate.h) must fit in what is left;
//   otherwise climbing stops with stopped_reason "budget".
// - A tier whose circuit is open is skipped; one that fails is skipped (and counts against
//   its circuit unless it refused the request as invalid).
// - Streaming: only the last tier that can be tried streams live, so no text of an answer
//   that may still be rejected reaches the client; a tier that fails mid-stream ends the
//   request (what the client saw cannot be taken back).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "services/orchestrator/lib/acceptance_check.h"
#include "services/orchestrator/lib/cascade_handler.h"
#include "services/orchestrator/lib/cascade_observer.h"
#include "services/orchestrator/lib/cascade_trace.h"
#include "services/orchestrator/lib/circuit_breaker.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/climb_failures.h"
#include "services/orchestrator/lib/request_plan.h"
#include "services/orchestrator/lib/start_selector.h"
#include "services/orchestrator/lib/tier_prices.h"

namespace cascade::orchestrator {

// A tier as every request sees it: its client and its circuit breaker.
struct TierHandle {
  std::shared_ptr<TierClient> client;
  std::unique_ptr<CircuitBreaker> breaker;
};

// What every run shares; the orchestrator owns it and it outlives every run.
struct CascadeShared {
  std::map<std::string, TierHandle> tiers;  // By tier name.
  TierPrices* prices = nullptr;
  const AcceptanceCheck* acceptance = nullptr;
  CascadeObserver* observer = nullptr;
  std::function<absl::Time()> clock;
  // Keep every tier's answer for the decision log (answers()).
  bool keep_answers = false;
};

class CascadeRun {
 public:
  // Everything passed must outlive the run.
  CascadeRun(CascadeShared& shared, const v1::CascadeRequest& request, const RequestPlan& plan,
             const CascadeStart& start, const CascadeCall& call);

  // Climbs and returns the response with its trace. Errors: CANCELLED, and those of
  // ClimbFailures::NoAnswer; UNAVAILABLE for a tier that failed mid-stream. Call once.
  absl::StatusOr<v1::CascadeResponse> Run();

  // Every tier's answer in the order they came, when CascadeShared::keep_answers; else empty.
  const std::vector<v1::CompleteResponse>& answers() const { return answers_; }

 private:
  enum class Next { kClimb, kStop };

  absl::StatusOr<Next> Step(int index);
  // "deadline", "max_tiers" or "budget" when the climb must stop before this tier.
  std::optional<absl::string_view> ReasonToStop(const PolicyTier& tier, absl::Time now);
  // Why `tier` cannot serve this request (e.g. it takes no tools); nullopt when it can, or
  // when its capabilities are unknown (it then refuses what it cannot serve).
  std::optional<std::string> MissingFeature(const std::string& tier);
  absl::StatusOr<v1::CompleteResponse> CallTier(int index, absl::Time began);
  absl::StatusOr<Next> TierFailed(const std::string& tier, v1::CascadeStep* step,
                                  CircuitBreaker& breaker, const absl::Status& error,
                                  absl::Time began);
  // Whether tier `index`'s acceptance rule runs (not on the top tier or a fixed start,
  // which always accept).
  bool RuleApplies(int index) const;
  AcceptanceResult Check(int index, const v1::CompleteResponse& answer);
  // The router's estimate for `tier`, when the start asked for estimates.
  std::optional<double> RouterEstimate(const std::string& tier) const;
  void RecordConfidence(const std::string& tier, const AcceptanceResult& verdict);
  // Before each step after the first: the escalation from the previous tier, with the reason.
  void NoteClimbTo(const std::string& tier);
  absl::StatusOr<v1::CascadeResponse> Finish();
  std::string StoppedReason() const;
  int64_t Baseline(const v1::CompleteResponse& answer) const;
  bool IsLastCandidate(int index) const { return index == end_ || tried_ == max_tiers_; }
  bool Cancelled() const { return call_.cancellation->IsCancelled(); }
  double SecondsSince(absl::Time began) const;

  CascadeShared& shared_;
  const v1::CascadeRequest& request_;
  const bool has_images_;  // Once per request, not per tier tried.
  const RequestPlan& plan_;
  const CascadeStart& start_;
  const CascadeCall& call_;
  const int end_;        // The last tier index this run may try.
  const int max_tiers_;  // How many tiers it may call.
  v1::CompleteRequest tier_request_;
  TextSink live_sink_;

  CascadeTrace trace_;
  ClimbFailures failures_;
  std::optional<v1::CompleteResponse> best_;  // The latest answer.
  std::vector<v1::CompleteResponse> answers_;
  std::vector<std::string> unsupported_;    // Tiers skipped for a missing feature.
  std::set<std::string> missing_features_;  // What they lacked: "tools", "images".
  int tried_ = 0;
  bool accepted_ = false;
  bool streamed_ = false;      // Some text reached the client.
  bool last_errored_ = false;  // The last tier reached gave no answer.
  std::string stopped_;
  std::string previous_tier_;
  std::string escalation_reason_;
};

}  // namespace cascade::orchestrator
