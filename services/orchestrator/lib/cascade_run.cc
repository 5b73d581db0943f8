#include "services/orchestrator/lib/cascade_run.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/logger.h"
#include "common/validation/chat_messages.h"
#include "services/orchestrator/lib/cost_estimate.h"

namespace cascade::orchestrator {
namespace {

absl::Status ClientCancelled() { return absl::CancelledError("the client cancelled"); }

}  // namespace

CascadeRun::CascadeRun(CascadeShared& shared, const v1::CascadeRequest& request,
                       const RequestPlan& plan, const CascadeStart& start, const CascadeCall& call)
    : shared_(shared),
      request_(request),
      has_images_(HasImages(request.messages())),
      plan_(plan),
      start_(start),
      call_(call),
      end_(start.fixed ? start.first : plan.last),
      max_tiers_(plan.policy->max_tiers > 0 ? plan.policy->max_tiers : INT_MAX),
      trace_(start.route) {
  trace_.SetLearnedStart(start.estimates, start.skipped);
  *tier_request_.mutable_messages() = request.messages();
  *tier_request_.mutable_params() = request.params();
  // Every tier is asked for logprobs, so that every trace carries the signals a policy
  // fitted later may use (a tier whose upstream has none does not pass the ask on).
  tier_request_.mutable_params()->set_logprobs(true);
  if (call.temperature_unset) {
    tier_request_.mutable_params()->set_temperature(
        static_cast<float>(plan.policy->default_temperature));
  }
  live_sink_ = [this](absl::string_view text, const TokenLogprobs& logprobs) {
    streamed_ = true;
    call_.on_text(text, logprobs);
  };
}

absl::StatusOr<v1::CascadeResponse> CascadeRun::Run() {
  for (int index = start_.first; index <= end_; ++index) {
    auto next = Step(index);
    if (!next.ok()) return next.status();
    if (*next == Next::kStop) break;
  }
  return Finish();
}

absl::StatusOr<CascadeRun::Next> CascadeRun::Step(int index) {
  const PolicyTier& tier = plan_.policy->tiers[index];
  if (Cancelled()) return ClientCancelled();
  const absl::Time began = shared_.clock();
  if (auto reason = ReasonToStop(tier, began)) {
    stopped_ = std::string(*reason);
    return Next::kStop;
  }
  v1::CascadeStep* step = trace_.AddStep(tier.tier);
  if (auto missing = MissingFeature(tier.tier)) {
    CascadeTrace::Unsupported(step, *missing);
    unsupported_.push_back(tier.tier);
    return Next::kClimb;
  }
  NoteClimbTo(tier.tier);
  CircuitBreaker& breaker = *shared_.tiers.at(tier.tier).breaker;
  if (!breaker.Allow()) {
    CascadeTrace::Skipped(step, "circuit open: the tier failed repeatedly and is skipped for now");
    failures_.Add(tier.tier, "circuit open");
    escalation_reason_ = "circuit_open";
    last_errored_ = true;
    return Next::kClimb;
  }
  ++tried_;
  auto answer = CallTier(index, began);
  if (!answer.ok()) return TierFailed(tier.tier, step, breaker, answer.status(), began);
  breaker.RecordSuccess();
  last_errored_ = false;
  const AcceptanceResult verdict = Check(index, *answer);
  if (Cancelled()) return ClientCancelled();
  const double seconds = SecondsSince(began);
  trace_.Answered(step, *answer, verdict, seconds);
  if (auto estimate = RouterEstimate(tier.tier)) {
    step->mutable_signals()->set_router_estimate(*estimate);
  }
  RecordConfidence(tier.tier, verdict);
  shared_.observer->RecordStep(tier.tier, seconds);
  if (shared_.keep_answers) answers_.push_back(*answer);
  best_ = *std::move(answer);
  shared_.observer->RecordTierAttempt(plan_.policy->name, tier.tier, verdict.accepted);
  if (verdict.accepted) {
    accepted_ = true;
    return Next::kStop;
  }
  escalation_reason_ = verdict.reason;
  return Next::kClimb;
}

std::optional<absl::string_view> CascadeRun::ReasonToStop(const PolicyTier& tier, absl::Time now) {
  if (now >= plan_.deadline) return kStoppedDeadline;
  if (tried_ >= max_tiers_) return kStoppedMaxTiers;
  if (!plan_.budget_pusd) return std::nullopt;
  auto price = shared_.prices->Get(tier.tier, call_.request_id);
  if (!price) return std::nullopt;
  const int64_t expected = ExpectedCostPusd(request_, price->price);
  const int64_t spent = plan_.spent_before_climb_pusd + trace_.spent_pusd();
  const int64_t left = *plan_.budget_pusd - spent;
  if (expected <= left) return std::nullopt;
  LogInfo("budget_reached", {{"request_id", call_.request_id},
                             {"tier", tier.tier},
                             {"expected_cost_pusd", expected},
                             {"spent_pusd", spent},
                             {"budget_pusd", *plan_.budget_pusd}});
  failures_.Add(tier.tier, absl::StrCat("expected cost ", expected,
                                        " pusd exceeds the budget left (", left, ")"));
  return kStoppedBudget;
}

std::optional<std::string> CascadeRun::MissingFeature(const std::string& tier) {
  const bool tools = request_.params().tools_size() > 0;
  const bool images = has_images_;
  if (!tools && !images) return std::nullopt;
  auto description = shared_.prices->Get(tier, call_.request_id);
  // Only the fallback price is known: the tier is tried, and refuses what it cannot serve.
  if (!description) return std::nullopt;
  if (tools && description->supports_tools && !*description->supports_tools) {
    missing_features_.insert("tools");
    return std::string("tools: the tier's backend does not take tools");
  }
  if (images && description->supports_images && !*description->supports_images) {
    missing_features_.insert("images");
    return std::string("images: the tier's backend does not take images");
  }
  return std::nullopt;
}

absl::StatusOr<v1::CompleteResponse> CascadeRun::CallTier(int index, absl::Time began) {
  const PolicyTier& tier = plan_.policy->tiers[index];
  const bool last_candidate = IsLastCandidate(index);
  // The tiers above keep half of the time left; the last one that can be tried gets all.
  const absl::Time deadline =
      last_candidate ? plan_.deadline : began + (plan_.deadline - began) / 2;
  const bool live = call_.on_text && last_candidate;
  // The self-check costs a second model call: asked for only when this tier's rule runs
  // and needs it.
  tier_request_.set_self_check(RuleApplies(index) && tier.accept.NeedsSelfCheck());
  return shared_.tiers.at(tier.tier).client->Complete(
      tier_request_, DownstreamCall{deadline, call_.request_id, call_.cancellation},
      live ? &live_sink_ : nullptr);
}

absl::StatusOr<CascadeRun::Next> CascadeRun::TierFailed(const std::string& tier,
                                                        v1::CascadeStep* step,
                                                        CircuitBreaker& breaker,
                                                        const absl::Status& error,
                                                        absl::Time began) {
  if (Cancelled()) {
    breaker.RecordAbandoned();
    return ClientCancelled();
  }
  const TierFailure failure = ClassifyTierFailure(error);
  if (failure.refused) {
    breaker.RecordAbandoned();
    failures_.AddRefusal(tier, error);
  } else {
    breaker.RecordFailure();
    failures_.Add(tier, error.ToString());
  }
  const double seconds = SecondsSince(began);
  CascadeTrace::Failed(step, error, seconds);
  shared_.observer->RecordStep(tier, seconds);
  escalation_reason_ = failure.escalation_reason;
  last_errored_ = true;
  LogWarn("tier_failed",
          {{"request_id", call_.request_id}, {"tier", tier}, {"error", error.ToString()}});
  // Text already shown to the client cannot be taken back.
  if (streamed_) {
    return absl::UnavailableError(
        absl::StrCat("tier '", tier, "' failed mid-stream: ", error.ToString()));
  }
  return Next::kClimb;
}

bool CascadeRun::RuleApplies(int index) const {
  const bool top = index == static_cast<int>(plan_.policy->tiers.size()) - 1;
  return !top && !start_.fixed;
}

AcceptanceResult CascadeRun::Check(int index, const v1::CompleteResponse& answer) {
  if (!RuleApplies(index)) {
    AcceptanceResult verdict;
    verdict.accepted = true;
    verdict.confidence = 1;
    verdict.method = start_.fixed ? "fixed" : "none";
    return verdict;
  }
  DownstreamCall judge_call{plan_.deadline, call_.request_id, call_.cancellation};
  const PolicyTier& tier = plan_.policy->tiers[index];
  return shared_.acceptance->Check(tier.accept, request_, answer, RouterEstimate(tier.tier),
                                   plan_.threshold_override, judge_call);
}

std::optional<double> CascadeRun::RouterEstimate(const std::string& tier) const {
  for (const v1::TierEstimate& estimate : start_.estimates) {
    if (estimate.tier() == tier) return estimate.probability();
  }
  return std::nullopt;
}

void CascadeRun::RecordConfidence(const std::string& tier, const AcceptanceResult& verdict) {
  if (verdict.logprob_score) {
    shared_.observer->RecordConfidence(tier, "logprob", *verdict.logprob_score);
  }
  if (verdict.self_check_score) {
    shared_.observer->RecordConfidence(tier, "self_check", *verdict.self_check_score);
  }
  if (verdict.calibrated_score) {
    shared_.observer->RecordConfidence(tier, "calibrated", *verdict.calibrated_score);
  }
  if (verdict.judge_score) shared_.observer->RecordConfidence(tier, "judge", *verdict.judge_score);
}

void CascadeRun::NoteClimbTo(const std::string& tier) {
  if (!previous_tier_.empty()) {
    shared_.observer->RecordEscalation(plan_.policy->name, previous_tier_, tier,
                                       escalation_reason_);
  }
  previous_tier_ = tier;
}

absl::StatusOr<v1::CascadeResponse> CascadeRun::Finish() {
  if (!best_) {
    if (Cancelled()) return ClientCancelled();
    if (tried_ == 0 && !unsupported_.empty() && stopped_.empty()) {
      const std::string features = absl::StrJoin(missing_features_, " and ");
      return absl::InvalidArgumentError(absl::StrCat(
          features, ": no tier of policy '", plan_.policy->name,
          "' that this request could use takes ", features, " (", absl::StrJoin(unsupported_, ", "),
          " do not); remove the ", features, " or use a policy with a tier that supports them"));
    }
    const bool out_of_time = shared_.clock() >= plan_.deadline || escalation_reason_ == "timeout";
    return failures_.NoAnswer(stopped_, plan_.budget_pusd, out_of_time);
  }
  if (call_.on_text && !streamed_) call_.on_text(best_->text(), best_->logprobs());
  const int64_t baseline = Baseline(*best_);
  return std::move(trace_).Finish(*best_, baseline, StoppedReason(), request_.params().logprobs());
}

std::string CascadeRun::StoppedReason() const {
  if (accepted_ || !stopped_.empty()) return stopped_;
  if (last_errored_) return "error";
  if (tried_ >= max_tiers_) return std::string(kStoppedMaxTiers);
  return "max_tier";
}

int64_t CascadeRun::Baseline(const v1::CompleteResponse& answer) const {
  const std::string& top = plan_.policy->tiers.back().tier;
  auto price = shared_.prices->Get(top, call_.request_id);
  if (!price) {
    // Nothing to price the top tier with: claim no saving rather than invent one.
    LogWarn("baseline_unpriced", {{"request_id", call_.request_id}, {"tier", top}});
    return trace_.spent_pusd();
  }
  return TopTierCostPusd(answer.usage(), price->price);
}

double CascadeRun::SecondsSince(absl::Time began) const {
  return absl::ToDoubleSeconds(shared_.clock() - began);
}

}  // namespace cascade::orchestrator
