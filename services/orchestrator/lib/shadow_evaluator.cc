#include "services/orchestrator/lib/shadow_evaluator.h"

#include <algorithm>
#include <vector>

#include "common/log/logger.h"
#include "common/outcomes/outcomes.h"
#include "common/text/sha256.h"
#include "common/validation/chat_messages.h"
#include "services/judge/lib/answer_agreement.h"
#include "services/orchestrator/lib/cost_estimate.h"
#include "services/orchestrator/lib/request_plan.h"

namespace cascade::orchestrator {
namespace {

// SplitMix64: a tiny, good-enough generator for sampling.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

ShadowEvaluator::ShadowEvaluator(ShadowEvaluatorOptions options, ShadowClients clients,
                                 CascadeObserver* observer, TierPrices* prices,
                                 std::function<absl::Time()> clock)
    : options_(std::move(options)),
      clients_(std::move(clients)),
      observer_(observer),
      prices_(prices),
      clock_(std::move(clock)),
      random_state_(options_.seed != 0 ? options_.seed
                                       : static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()))) {
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { Work(); });
}

ShadowEvaluator::~ShadowEvaluator() {
  size_t dropped = 0;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped = queue_.size();
    queue_.clear();
  }
  shutdown_.Cancel();
  for (std::thread& worker : workers_) worker.join();
  if (dropped > 0) LogWarn("shadow_dropped_at_shutdown", {{"evaluations", dropped}});
}

std::shared_ptr<ShadowBudget> ShadowEvaluator::BudgetFor(const PolicySettings& policy) {
  auto& [limit, budget] = budgets_[policy.name];
  if (budget == nullptr || limit != policy.shadow->max_pusd_per_hour) {
    limit = policy.shadow->max_pusd_per_hour;
    budget = std::make_shared<ShadowBudget>(limit);
  }
  return budget;
}

void ShadowEvaluator::Offer(const PolicySettings& policy, const v1::CascadeRequest& request,
                            const CascadeCall& call, const v1::CascadeResponse& response) {
  if (!policy.shadow) return;
  const ShadowSettings& shadow = *policy.shadow;
  // Only a text answer from below the reference tier says anything about a cheaper tier.
  const int answered = TierIndex(policy, response.final_tier());
  const int reference = TierIndex(policy, shadow.tier);
  if (answered < 0 || answered >= reference || response.tool_calls_size() > 0) return;
  Job job;
  std::string outcome;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const double draw =
        static_cast<double>(NextRandom(random_state_) >> 11) * 0x1.0p-53;  // In [0, 1).
    if (draw >= shadow.rate) return;
    job.budget = BudgetFor(policy);
    if (!job.budget->HasRoom(clock_())) {
      outcome = "over_budget";
    } else if (queue_.size() >= options_.max_pending) {
      outcome = "queue_full";
    }
  }
  if (!outcome.empty()) {
    observer_->RecordShadow(policy.name, response.final_tier(), outcome);
    return;
  }
  job.policy = policy.name;
  job.tier = response.final_tier();
  job.model = response.model();
  job.shadow_tier = shadow.tier;
  job.request_id = call.request_id;
  *job.shadow_request.mutable_messages() = request.messages();
  *job.shadow_request.mutable_params() = request.params();
  if (call.temperature_unset) {
    job.shadow_request.mutable_params()->set_temperature(
        static_cast<float>(policy.default_temperature));
  }
  job.answer = response.answer();
  job.usage = response.usage();
  job.judge = shadow.judge;
  {
    // Checked again: the queue may have filled while the job was copied outside the lock.
    absl::MutexLock lock(&mu_);
    if (queue_.size() < options_.max_pending) {
      queue_.push_back(std::move(job));
      return;
    }
  }
  observer_->RecordShadow(policy.name, response.final_tier(), "queue_full");
}

void ShadowEvaluator::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ShadowEvaluator* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->queue_.empty() && self->running_ == 0;
      },
      this));
}

void ShadowEvaluator::Work() {
  while (true) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ShadowEvaluator* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    Evaluate(job);
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

void ShadowEvaluator::Evaluate(const Job& job) {
  const std::string request_id = job.request_id + "-shadow";
  const std::optional<TierDescription> described = prices_->Get(job.shadow_tier, request_id);
  if (!described) {
    LogWarn("shadow_skipped", {{"request_id", job.request_id},
                               {"policy", job.policy},
                               {"reason", "the shadow tier has no price"},
                               {"tier", job.shadow_tier}});
    observer_->RecordShadow(job.policy, job.tier, "no_price");
    return;
  }
  // The answer's tokens at the reference's prices: what the call will about cost.
  const int64_t estimate = TopTierCostPusd(job.usage, described->price);
  const std::optional<uint64_t> reservation = job.budget->TryReserve(estimate, clock_());
  if (!reservation) {
    observer_->RecordShadow(job.policy, job.tier, "over_budget");
    return;
  }
  const absl::Time began = clock_();
  DownstreamCall call{began + options_.call_timeout, request_id, &shutdown_};
  auto tier = clients_.tiers.find(job.shadow_tier);
  absl::StatusOr<v1::CompleteResponse> reference =
      tier == clients_.tiers.end() ? absl::InternalError("the shadow tier has no client")
                                   : tier->second->Complete(job.shadow_request, call, nullptr);
  const int64_t cost = reference.ok() ? reference->cost_pusd() : 0;
  job.budget->Settle(*reservation, cost, clock_());
  observer_->RecordShadowCost(job.policy, cost);

  v1::CascadeRequest asked;  // For the messages' hash, as the request's own line has it.
  *asked.mutable_messages() = job.shadow_request.messages();
  nlohmann::json line = {{"kind", "shadow"},
                         {"request_id", job.request_id},
                         {"time", absl::FormatTime(absl::RFC3339_full, began, absl::UTCTimeZone())},
                         {"policy", job.policy},
                         {"tier", job.tier},
                         {"model", job.model},
                         {"shadow_tier", job.shadow_tier},
                         {"messages_sha256", Sha256Hex(CanonicalMessagesJson(asked))},
                         {"cost_pusd", cost},
                         {"latency_seconds", absl::ToDoubleSeconds(clock_() - began)}};
  if (!reference.ok()) {
    if (!shutdown_.IsCancelled()) {
      LogWarn("shadow_call_failed", {{"request_id", job.request_id},
                                     {"policy", job.policy},
                                     {"tier", job.shadow_tier},
                                     {"error", reference.status().ToString()}});
    }
    observer_->RecordShadow(job.policy, job.tier, "error");
    line["error"] = reference.status().ToString();
  } else {
    const Comparison comparison = Compare(job, reference->text());
    observer_->RecordShadow(job.policy, job.tier, comparison.agrees ? "agree" : "disagree");
    line["agrees"] = comparison.agrees;
    line["agreement"] = comparison.score;
    line["method"] = comparison.method;
    if (comparison.method == "judge") {
      line["cost_pusd"] = cost + comparison.judge_cost_pusd;
    }
    line["shadow_model"] = reference->upstream_model();
    if (decision_log_ != nullptr && decision_log_->include_prompt()) {
      line["answer"] = job.answer;
      line["shadow_answer"] = reference->text();
    }
    AddExemplar(job, comparison.agrees);
  }
  if (decision_log_ != nullptr) decision_log_->RecordLine(line);
}

ShadowEvaluator::Comparison ShadowEvaluator::Compare(const Job& job, const std::string& reference) {
  const judge::AgreementResult agreement = judge::CompareAnswers(job.answer, reference);
  Comparison comparison{agreement.agrees(), agreement.score, agreement.method, 0};
  // Equal texts and equal final numbers decide; shared words do not.
  if (!job.judge || agreement.method != "overlap" || clients_.judge == nullptr) return comparison;
  const std::optional<uint64_t> reservation =
      job.budget->TryReserve(1, clock_());  // Any room left.
  if (!reservation) {
    LogInfo("shadow_judge_skipped", {{"request_id", job.request_id},
                                     {"policy", job.policy},
                                     {"reason", "over the hourly budget"}});
    return comparison;
  }
  v1::ScoreRequest score;
  *score.mutable_messages() = job.shadow_request.messages();
  score.set_answer(job.answer);
  score.set_reference_answer(reference);
  score.add_methods("equivalence");
  DownstreamCall call{clock_() + options_.call_timeout, job.request_id + "-shadow-judge",
                      &shutdown_};
  absl::StatusOr<v1::ScoreResponse> verdict = clients_.judge->Score(score, call);
  const int64_t cost = verdict.ok() ? verdict->cost_pusd() : 0;
  job.budget->Settle(*reservation, cost, clock_());
  observer_->RecordShadowCost(job.policy, cost);
  if (!verdict.ok()) {
    if (!shutdown_.IsCancelled()) {
      LogWarn("shadow_judge_failed", {{"request_id", job.request_id},
                                      {"policy", job.policy},
                                      {"error", verdict.status().ToString()}});
    }
    return comparison;  // The cheap verdict stands.
  }
  return {verdict->score() >= judge::kAgreementThreshold, verdict->score(), "judge", cost};
}

void ShadowEvaluator::AddExemplar(const Job& job, bool agrees) {
  if (clients_.router == nullptr) return;
  v1::OutcomeExemplar exemplar;
  exemplar.set_query(LastUserMessage(job.shadow_request.messages()));
  if (exemplar.query().empty()) return;
  // The key `cascadectl routes learn` uses, so the same query from either source merges.
  const std::vector<v1::ChatMessage> messages(job.shadow_request.messages().begin(),
                                              job.shadow_request.messages().end());
  exemplar.set_key(Sha256Hex(outcomes::MessagesKey(messages)));
  // Only the tier that answered is labelled: the reference is taken as right, and the
  // tiers the request climbed past were judged by the policy, not by the reference.
  (*exemplar.mutable_tier_quality())[job.tier] = agrees ? 1.0 : 0.0;
  DownstreamCall call{clock_() + options_.router_timeout, job.request_id + "-shadow", &shutdown_};
  absl::Status status = clients_.router->AddOutcomes(job.policy, {exemplar}, call).status();
  observer_->RecordShadowExemplar(job.policy, status.ok());
  if (!status.ok() && !shutdown_.IsCancelled()) {
    LogWarn("shadow_exemplar_failed",
            {{"request_id", job.request_id}, {"policy", job.policy}, {"error", status.ToString()}});
  }
}

}  // namespace cascade::orchestrator
