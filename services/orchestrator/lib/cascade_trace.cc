#include "services/orchestrator/lib/cascade_trace.h"

#include "services/orchestrator/lib/answer_signals.h"

namespace cascade::orchestrator {

void CascadeTrace::SetLearnedStart(const std::vector<v1::TierEstimate>& estimates,
                                   const std::vector<std::string>& skipped) {
  response_.mutable_tier_estimates()->Assign(estimates.begin(), estimates.end());
  response_.mutable_skipped_tiers()->Assign(skipped.begin(), skipped.end());
}

v1::CascadeStep* CascadeTrace::AddStep(const std::string& tier) {
  v1::CascadeStep* step = response_.add_steps();
  step->set_tier(tier);
  return step;
}

void CascadeTrace::Skipped(v1::CascadeStep* step, absl::string_view why) {
  step->set_method("none");
  step->set_error(std::string(why));
}

void CascadeTrace::Unsupported(v1::CascadeStep* step, absl::string_view why) {
  step->set_method("none");
  step->set_skipped(std::string(why));
}

void CascadeTrace::Failed(v1::CascadeStep* step, const absl::Status& error, double seconds) {
  step->set_latency_seconds(seconds);
  step->set_method("none");
  step->set_error(error.ToString());
}

void CascadeTrace::Answered(v1::CascadeStep* step, const v1::CompleteResponse& answer,
                            const AcceptanceResult& verdict, double seconds) {
  const int64_t cost = answer.cost_pusd() + verdict.judge_cost_pusd;
  spent_pusd_ += cost;
  step->set_model(answer.upstream_model());
  *step->mutable_usage() = answer.usage();
  step->set_cost_pusd(cost);
  step->set_confidence(verdict.confidence);
  step->set_method(verdict.method);
  step->set_accepted(verdict.accepted);
  step->set_error(verdict.error);
  step->set_latency_seconds(seconds);
  *step->mutable_signals() = SignalsOf(answer, verdict);
  best_step_ = response_.steps_size() - 1;
}

v1::CascadeResponse CascadeTrace::Finish(const v1::CompleteResponse& answer, int64_t baseline_pusd,
                                         const std::string& stopped_reason, bool with_logprobs) && {
  response_.set_answer(answer.text());
  response_.set_final_tier(response_.steps(best_step_).tier());
  response_.set_model(answer.upstream_model());
  response_.set_finish_reason(answer.finish_reason());
  *response_.mutable_usage() = answer.usage();
  response_.set_cost_pusd(spent_pusd_);
  response_.set_baseline_cost_pusd(baseline_pusd);
  response_.set_savings_pusd(baseline_pusd - spent_pusd_);
  response_.set_stopped_reason(stopped_reason);
  *response_.mutable_tool_calls() = answer.tool_calls();
  if (with_logprobs) *response_.mutable_logprobs() = answer.logprobs();
  return std::move(response_);
}

}  // namespace cascade::orchestrator
