// Orchestrator::Climb: the waterfall itself (orchestrator.cc routes and validates).

#include <climits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/logger.h"
#include "services/orchestrator/orchestrator.h"

namespace cascade::orchestrator {

absl::StatusOr<v1::CascadeResponse> Orchestrator::Climb(const v1::CascadeRequest& request,
                                                        const PolicySettings& policy,
                                                        const Start& start, int last,
                                                        absl::Time deadline,
                                                        const CascadeCall& call) {
  v1::CascadeResponse response;
  response.set_route(start.route);
  const std::optional<int64_t> budget = request.has_budget_pusd()
                                            ? std::optional<int64_t>(request.budget_pusd())
                                            : policy.default_budget_pusd;
  const std::optional<double> threshold_override =
      request.has_threshold_override() ? std::optional<double>(request.threshold_override())
                                       : std::nullopt;
  const int end = start.fixed ? start.first : last;
  const int max_tiers = policy.max_tiers > 0 ? policy.max_tiers : INT_MAX;
  const int top = static_cast<int>(policy.tiers.size()) - 1;

  int64_t spent = 0;
  int tried = 0;
  std::optional<v1::CompleteResponse> best;
  int best_step = -1;
  bool accepted = false;
  bool streamed = false;
  bool last_errored = false;
  std::vector<std::string> errors;
  std::string stopped;
  std::string previous_tier;
  std::string escalation_reason;

  v1::CompleteRequest tier_request;
  *tier_request.mutable_messages() = request.messages();
  *tier_request.mutable_params() = request.params();
  TextSink live_sink = [&](absl::string_view text) {
    streamed = true;
    call.on_text(text);
  };

  for (int i = start.first; i <= end; ++i) {
    const PolicyTier& tier = policy.tiers[i];
    if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
    absl::Time step_began = clock_();
    if (step_began >= deadline) {
      stopped = "deadline";
      break;
    }
    if (tried >= max_tiers) {
      stopped = "max_tiers";
      break;
    }
    const bool last_candidate = i == end || tried + 1 == max_tiers;
    if (budget) {
      auto price = prices_.Get(tier.tier, call.request_id);
      if (price) {
        int64_t expected = ExpectedCost(request, price->price);
        if (expected > *budget - spent) {
          stopped = "budget";
          LogInfo("budget_reached", {{"request_id", call.request_id},
                                     {"tier", tier.tier},
                                     {"expected_cost_pusd", expected},
                                     {"spent_pusd", spent},
                                     {"budget_pusd", *budget}});
          errors.push_back(absl::StrCat(tier.tier, ": expected cost ", expected,
                                        " pusd exceeds the budget left (", *budget - spent, ")"));
          break;
        }
      }
    }
    v1::CascadeStep* step = response.add_steps();
    step->set_tier(tier.tier);
    if (!previous_tier.empty()) {
      metrics_.RecordEscalation(previous_tier, tier.tier, escalation_reason);
    }
    previous_tier = tier.tier;
    CircuitBreaker& breaker = *breakers_.at(tier.tier);
    if (!breaker.Allow()) {
      step->set_method("none");
      step->set_error("circuit open: the tier failed repeatedly and is skipped for now");
      errors.push_back(absl::StrCat(tier.tier, ": circuit open"));
      escalation_reason = "circuit_open";
      last_errored = true;
      continue;
    }
    ++tried;
    // The tiers above keep half of the time left; the last one that can be tried gets all.
    absl::Time step_deadline = last_candidate ? deadline : step_began + (deadline - step_began) / 2;
    tier_request.mutable_params()->set_logprobs(request.params().logprobs() ||
                                                (i != top && tier.accept.logprob.has_value()));
    DownstreamCall downstream{step_deadline, call.request_id, call.cancellation};
    const bool live = call.on_text && last_candidate;
    auto answer = clients_.tiers.at(tier.tier)->Complete(tier_request, downstream,
                                                         live ? &live_sink : nullptr);
    if (!answer.ok()) {
      if (call.cancellation->IsCancelled()) {
        breaker.RecordAbandoned();
        return absl::CancelledError("the client cancelled");
      }
      breaker.RecordFailure();
      double seconds = absl::ToDoubleSeconds(clock_() - step_began);
      step->set_latency_seconds(seconds);
      step->set_method("none");
      step->set_error(answer.status().ToString());
      metrics_.RecordStep(tier.tier, seconds);
      errors.push_back(absl::StrCat(tier.tier, ": ", answer.status().ToString()));
      escalation_reason =
          answer.status().code() == absl::StatusCode::kDeadlineExceeded ? "timeout" : "error";
      last_errored = true;
      LogWarn("tier_failed", {{"request_id", call.request_id},
                              {"tier", tier.tier},
                              {"error", answer.status().ToString()}});
      // Text already shown to the client cannot be taken back.
      if (streamed) {
        return absl::UnavailableError(
            absl::StrCat("tier '", tier.tier, "' failed mid-stream: ", answer.status().ToString()));
      }
      continue;
    }
    breaker.RecordSuccess();
    last_errored = false;
    step->set_model(answer->upstream_model());
    *step->mutable_usage() = answer->usage();
    int64_t step_cost = answer->cost_pusd();

    AcceptanceResult verdict;
    if (i == top || start.fixed) {
      verdict.accepted = true;
      verdict.confidence = 1;
      verdict.method = start.fixed ? "fixed" : "none";
    } else {
      DownstreamCall judge_call{deadline, call.request_id, call.cancellation};
      verdict = acceptance_.Check(tier.accept, request, *answer, threshold_override, judge_call);
      if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
    }
    step_cost += verdict.judge_cost_pusd;
    spent += step_cost;
    step->set_cost_pusd(step_cost);
    step->set_confidence(verdict.confidence);
    step->set_method(verdict.method);
    step->set_accepted(verdict.accepted);
    step->set_error(verdict.error);
    if (verdict.logprob_score)
      metrics_.RecordConfidence(tier.tier, "logprob", *verdict.logprob_score);
    if (verdict.judge_score) metrics_.RecordConfidence(tier.tier, "judge", *verdict.judge_score);
    double seconds = absl::ToDoubleSeconds(clock_() - step_began);
    step->set_latency_seconds(seconds);
    metrics_.RecordStep(tier.tier, seconds);
    best = *std::move(answer);
    best_step = response.steps_size() - 1;
    if (verdict.accepted) {
      accepted = true;
      break;
    }
    escalation_reason = verdict.reason;
  }

  if (!best) {
    if (call.cancellation->IsCancelled()) return absl::CancelledError("the client cancelled");
    std::string trace = absl::StrJoin(errors, "; ");
    if (stopped == "budget") {
      return absl::ResourceExhaustedError(
          absl::StrCat("budget_pusd ", *budget, " cannot pay for the next tier: ", trace));
    }
    // A last tier that ran out of time is a deadline too: its own deadline can fire a moment
    // before ours, and the client must not see UNAVAILABLE for a request that was too slow.
    if (clock_() >= deadline || escalation_reason == "timeout") {
      return absl::DeadlineExceededError(
          absl::StrCat("the deadline passed before any tier answered: ", trace));
    }
    return absl::UnavailableError(absl::StrCat("every tier tried failed: ", trace));
  }
  if (!accepted && stopped.empty()) {
    if (last_errored) {
      stopped = "error";
    } else if (tried >= max_tiers) {
      stopped = "max_tiers";
    } else {
      stopped = "max_tier";
    }
  }
  if (call.on_text && !streamed) call.on_text(best->text());
  const v1::CascadeStep& final_step = response.steps(best_step);
  response.set_answer(best->text());
  response.set_final_tier(final_step.tier());
  response.set_model(best->upstream_model());
  response.set_finish_reason(best->finish_reason());
  *response.mutable_usage() = best->usage();
  response.set_cost_pusd(spent);
  response.set_baseline_cost_pusd(Baseline(policy, best->usage(), spent, call.request_id));
  response.set_savings_pusd(response.baseline_cost_pusd() - spent);
  response.set_stopped_reason(stopped);
  return response;
}

}  // namespace cascade::orchestrator
