#pragma once

// The trace a cascade response carries, built as the climb goes: one step per tier reached
// (skipped, failed, or answered with its confidence and verdict), what the steps cost
// together, and which answer the response returns.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/acceptance_check.h"

namespace cascade::orchestrator {

class CascadeTrace {
 public:
  explicit CascadeTrace(const std::string& route) { response_.set_route(route); }

  // `start: learned`: the router's per-tier estimates and the tiers skipped because of them.
  void SetLearnedStart(const std::vector<v1::TierEstimate>& estimates,
                       const std::vector<std::string>& skipped);

  // A step for `tier`; the pointer stays valid until Finish.
  v1::CascadeStep* AddStep(const std::string& tier);
  // The tier was not called (its circuit is open).
  static void Skipped(v1::CascadeStep* step, absl::string_view why);
  // The tier was not tried: it cannot serve what the request needs (`why`).
  static void Unsupported(v1::CascadeStep* step, absl::string_view why);
  static void Failed(v1::CascadeStep* step, const absl::Status& error, double seconds);
  // The tier answered; its cost (judge calls included) counts towards the total, and the
  // answer is the one the response returns unless a later one replaces it.
  void Answered(v1::CascadeStep* step, const v1::CompleteResponse& answer,
                const AcceptanceResult& verdict, double seconds);

  bool has_answer() const { return best_step_ >= 0; }
  int64_t spent_pusd() const { return spent_pusd_; }

  // The response for `answer` (the last Answered one); its token logprobs only when
  // `with_logprobs` (the client asked: every tier is asked for them, for the signals).
  v1::CascadeResponse Finish(const v1::CompleteResponse& answer, int64_t baseline_pusd,
                             const std::string& stopped_reason, bool with_logprobs) &&;

 private:
  v1::CascadeResponse response_;
  int64_t spent_pusd_ = 0;
  int best_step_ = -1;
};

}  // namespace cascade::orchestrator
