#pragma once

// Doubles of the orchestrator's clients: scripted answers, and a record of every call.

#include <deque>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator::testing {

// Tiers small and large and one policy, "default": small accepts at a mean token logprob
// of at least -1, large always.
inline OrchestratorSettings SmallThenLargeSettings() {
  OrchestratorSettings settings;
  settings.tiers = {{"small", "a", std::nullopt}, {"large", "b", std::nullopt}};
  PolicySettings policy;
  policy.name = "default";
  AcceptanceRule rule;
  rule.logprob = *LogprobConfidence::Parse("mean");
  rule.logprob_min = -1.0;
  policy.tiers = {{"small", rule}, {"large", AcceptanceRule()}};
  settings.policies = {policy};
  return settings;
}

// An answer of `tokens` tokens, each with logprob `logprob`, costing exactly
// prompt * input + completion * output.
inline v1::CompleteResponse Answer(const std::string& tier, const std::string& text, double logprob,
                                   int prompt_tokens, int completion_tokens, int64_t input_price,
                                   int64_t output_price) {
  v1::CompleteResponse response;
  response.set_tier(tier);
  response.set_text(text);
  response.set_upstream_model(tier + "-model");
  response.set_finish_reason(v1::FINISH_REASON_STOP);
  for (int i = 0; i < completion_tokens; ++i) {
    auto* token = response.add_logprobs();
    token->set_token("t");
    token->set_logprob(logprob);
  }
  response.mutable_usage()->set_prompt_tokens(prompt_tokens);
  response.mutable_usage()->set_completion_tokens(completion_tokens);
  response.set_cost_pusd(prompt_tokens * input_price + completion_tokens * output_price);
  return response;
}

class FakeTierClient final : public TierClient {
 public:
  FakeTierClient(std::string tier, int64_t input_price, int64_t output_price)
      : tier_(std::move(tier)), input_price_(input_price), output_price_(output_price) {}

  // Replies are used in order; the last one repeats.
  void Enqueue(absl::StatusOr<v1::CompleteResponse> reply) {
    absl::MutexLock lock(&mu_);
    if (front_used_ && replies_.size() == 1) replies_.pop_front();
    front_used_ = false;
    replies_.push_back(std::move(reply));
  }
  void FailDescribe(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_describe_ = fail;
  }
  // What Describe says of images (false unless set).
  void SupportImages(bool supports) {
    absl::MutexLock lock(&mu_);
    supports_images_ = supports;
  }
  // What Describe says of tools (true unless set).
  void SupportTools(bool supports) {
    absl::MutexLock lock(&mu_);
    supports_tools_ = supports;
  }

  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                const DownstreamCall& call,
                                                const TextSink* on_text) override {
    absl::StatusOr<v1::CompleteResponse> reply = absl::UnavailableError("no reply scripted");
    {
      absl::MutexLock lock(&mu_);
      // A held call waits for Release() or its cancellation (looked at every millisecond).
      ++held_calls_;
      const auto cancelled = [&call] {
        return call.cancellation != nullptr && call.cancellation->IsCancelled();
      };
      while (held_ && !cancelled()) {
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](FakeTierClient* self) { return !self->held_; }, this),
                             absl::Milliseconds(1));
      }
      --held_calls_;
      calls_.push_back(call);
      if (cancelled()) return absl::CancelledError("cancelled while held");
      requests_.push_back(request);
      streamed_.push_back(on_text != nullptr);
      if (!replies_.empty()) {
        reply = replies_.front();
        front_used_ = true;
        if (replies_.size() > 1) {
          replies_.pop_front();
          front_used_ = false;
        }
      }
    }
    if (reply.ok() && on_text != nullptr) {
      // Two deltas, so a test sees text arrive in pieces; the logprobs split with them.
      std::string text = reply->text();
      const int half = reply->logprobs_size() / 2;
      TokenLogprobs first(reply->logprobs().begin(), reply->logprobs().begin() + half);
      TokenLogprobs second(reply->logprobs().begin() + half, reply->logprobs().end());
      (*on_text)(text.substr(0, text.size() / 2), first);
      (*on_text)(text.substr(text.size() / 2), second);
    }
    return reply;
  }

  absl::StatusOr<v1::DescribeResponse> Describe(const DownstreamCall&) override {
    absl::MutexLock lock(&mu_);
    ++describes_;
    if (fail_describe_) return absl::UnavailableError("tier down");
    v1::DescribeResponse response;
    response.set_tier(tier_);
    response.set_model(tier_ + "-model");
    response.set_input_price_uusd_per_mtok(input_price_);
    response.set_output_price_uusd_per_mtok(output_price_);
    response.set_supports_tools(supports_tools_);
    response.set_supports_images(supports_images_);
    return response;
  }

  // While held, Complete blocks until Release() or the call's cancellation.
  void Hold() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }
  // Returns once `count` calls are waiting in Hold.
  void AwaitHeldCalls(int count) {
    absl::MutexLock lock(&mu_);
    held_target_ = count;
    mu_.Await(absl::Condition(
        +[](FakeTierClient* self) { return self->held_calls_ >= self->held_target_; }, this));
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(calls_.size());
  }
  std::vector<DownstreamCall> downstream_calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<v1::CompleteRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<bool> streamed() {
    absl::MutexLock lock(&mu_);
    return streamed_;
  }
  int describes() {
    absl::MutexLock lock(&mu_);
    return describes_;
  }

 private:
  std::string tier_;
  int64_t input_price_;
  int64_t output_price_;
  absl::Mutex mu_;
  std::deque<absl::StatusOr<v1::CompleteResponse>> replies_ ABSL_GUARDED_BY(mu_);
  std::vector<DownstreamCall> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::CompleteRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> streamed_ ABSL_GUARDED_BY(mu_);
  bool supports_tools_ ABSL_GUARDED_BY(mu_) = true;
  bool supports_images_ ABSL_GUARDED_BY(mu_) = false;
  bool front_used_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_describe_ ABSL_GUARDED_BY(mu_) = false;
  int describes_ ABSL_GUARDED_BY(mu_) = 0;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int held_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int held_target_ ABSL_GUARDED_BY(mu_) = 0;
};

class FakeRouterClient final : public RouterClient {
 public:
  absl::StatusOr<v1::RouteDecision> decision = absl::UnavailableError("router down");
  absl::StatusOr<v1::ListRoutesResponse> routes = absl::UnavailableError("router down");
  absl::StatusOr<v1::EstimateTiersResponse> estimates = absl::UnavailableError("router down");
  std::vector<std::string> queries;
  std::vector<std::string> estimated_policies;
  std::vector<DownstreamCall> calls;

  absl::StatusOr<v1::RouteDecision> Route(const std::string& query,
                                          const DownstreamCall& call) override {
    queries.push_back(query);
    calls.push_back(call);
    return decision;
  }
  absl::StatusOr<v1::ListRoutesResponse> ListRoutes(const DownstreamCall& call) override {
    calls.push_back(call);
    return routes;
  }
  absl::StatusOr<v1::EstimateTiersResponse> EstimateTiers(const std::string& query,
                                                          const std::string& policy,
                                                          const DownstreamCall& call) override {
    queries.push_back(query);
    estimated_policies.push_back(policy);
    calls.push_back(call);
    return estimates;
  }
  // Called from shadow evaluation's workers: thread-safe, unlike the members above.
  absl::StatusOr<v1::AddOutcomesResponse> AddOutcomes(
      const std::string& policy, const std::vector<v1::OutcomeExemplar>& exemplars,
      const DownstreamCall&) override {
    absl::MutexLock lock(&outcomes_mu_);
    if (!add_outcomes_status_.ok()) return add_outcomes_status_;
    for (const v1::OutcomeExemplar& exemplar : exemplars) added_.push_back({policy, exemplar});
    v1::AddOutcomesResponse response;
    response.set_added(static_cast<int64_t>(exemplars.size()));
    return response;
  }
  void FailAddOutcomes(absl::Status status) {
    absl::MutexLock lock(&outcomes_mu_);
    add_outcomes_status_ = std::move(status);
  }
  // (policy, exemplar) of every AddOutcomes that succeeded.
  std::vector<std::pair<std::string, v1::OutcomeExemplar>> added() {
    absl::MutexLock lock(&outcomes_mu_);
    return added_;
  }

 private:
  absl::Mutex outcomes_mu_;
  absl::Status add_outcomes_status_ ABSL_GUARDED_BY(outcomes_mu_);
  std::vector<std::pair<std::string, v1::OutcomeExemplar>> added_ ABSL_GUARDED_BY(outcomes_mu_);
};

class FakeJudgeClient final : public JudgeClient {
 public:
  absl::StatusOr<v1::ScoreResponse> reply = absl::UnavailableError("judge down");
  std::vector<v1::ScoreRequest> requests;
  std::vector<absl::Time> deadlines;

  absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request,
                                          const DownstreamCall& call) override {
    requests.push_back(request);
    deadlines.push_back(call.deadline);
    return reply;
  }
};

}  // namespace cascade::orchestrator::testing
