// The cascade with doubles for the tiers, router and judge: which tiers run, what the
// trace says, the exact cost and baseline, limits, faults and metrics.

#include "services/orchestrator/lib/orchestrator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using testing::FakeJudgeClient;
using testing::FakeRouterClient;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordingObserver;

constexpr int64_t kSmallIn = 100'000;  // 0.10 USD per million tokens.
constexpr int64_t kSmallOut = 400'000;
constexpr int64_t kLargeIn = 2'500'000;
constexpr int64_t kLargeOut = 10'000'000;

class OrchestratorTest : public ::testing::Test {
 protected:
  OrchestratorTest()
      : small_(std::make_shared<FakeTierClient>("small", kSmallIn, kSmallOut)),
        large_(std::make_shared<FakeTierClient>("large", kLargeIn, kLargeOut)),
        router_(std::make_shared<FakeRouterClient>()),
        judge_(std::make_shared<FakeJudgeClient>()) {
    settings_ = testing::SmallThenLargeSettings();
    settings_.breaker = {.failures = 2, .open_for = absl::Seconds(30)};
  }

  Orchestrator& Make() {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    clients.router = router_;
    clients.judge = judge_;
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_,
                                                   [this] { return now_; });
    return *orchestrator_;
  }

  static v1::CascadeRequest Ask(const std::string& text) {
    v1::CascadeRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content(text);
    request.mutable_params()->set_max_tokens(16);
    return request;
  }

  CascadeCall Call() {
    CascadeCall call;
    call.request_id = "req-1";
    call.cancellation = &cancel_;
    return call;
  }

  static v1::CompleteResponse Small(double logprob) {
    return Answer("small", "small answer", logprob, 10, 4, kSmallIn, kSmallOut);
  }
  static v1::CompleteResponse Large() {
    return Answer("large", "large answer", -0.1, 10, 6, kLargeIn, kLargeOut);
  }

  // What the cascade reported, a line per event.
  std::string Metrics() { return observer_->Text(); }

  OrchestratorSettings settings_;
  std::shared_ptr<FakeTierClient> small_;
  std::shared_ptr<FakeTierClient> large_;
  std::shared_ptr<FakeRouterClient> router_;
  std::shared_ptr<FakeJudgeClient> judge_;
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  CancellationToken cancel_;
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(OrchestratorTest, AcceptsAtTheFirstTierWithExactCostAndBaseline) {
  small_->Enqueue(Small(-0.2));
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->answer(), "small answer");
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->model(), "small-model");
  ASSERT_EQ(response->steps_size(), 1);
  const auto& step = response->steps(0);
  EXPECT_TRUE(step.accepted());
  EXPECT_EQ(step.method(), "logprob:mean");
  EXPECT_NEAR(step.confidence(), std::exp(-0.2), 1e-12);
  EXPECT_EQ(step.cost_pusd(), 10 * kSmallIn + 4 * kSmallOut);
  EXPECT_EQ(response->cost_pusd(), 10 * kSmallIn + 4 * kSmallOut);
  EXPECT_EQ(response->baseline_cost_pusd(), 10 * kLargeIn + 4 * kLargeOut);
  EXPECT_EQ(response->savings_pusd(),
            10 * kLargeIn + 4 * kLargeOut - (10 * kSmallIn + 4 * kSmallOut));
  EXPECT_EQ(response->stopped_reason(), "");
  EXPECT_EQ(large_->calls(), 0);
  // The logprob rule needs logprobs even when the client did not ask for them.
  EXPECT_TRUE(small_->requests()[0].params().logprobs());
  EXPECT_THAT(Metrics(), HasSubstr("request route=router_unavailable final_tier=small outcome=ok"));
}

TEST_F(OrchestratorTest, ClimbsOnLowLogprobConfidence) {
  small_->Enqueue(Small(-2.0));
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_FALSE(response->steps(0).accepted());
  EXPECT_TRUE(response->steps(1).accepted());
  EXPECT_EQ(response->steps(1).method(), "none");
  int64_t cost = 10 * kSmallIn + 4 * kSmallOut + 10 * kLargeIn + 6 * kLargeOut;
  EXPECT_EQ(response->cost_pusd(), cost);
  EXPECT_EQ(response->baseline_cost_pusd(), 10 * kLargeIn + 6 * kLargeOut);
  EXPECT_EQ(response->savings_pusd(), 10 * kLargeIn + 6 * kLargeOut - cost);
  EXPECT_THAT(Metrics(), HasSubstr("escalation from=small to=large reason=low_confidence"));
}

TEST_F(OrchestratorTest, MetricsCountAttemptsPerTierUnderThePolicy) {
  small_->Enqueue(Small(-2.0));
  large_->Enqueue(Large());
  small_->Enqueue(Small(-0.2));
  ASSERT_TRUE(Make().Complete(Ask("hard"), Call()).ok());
  ASSERT_TRUE(Make().Complete(Ask("easy"), Call()).ok());
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("attempt tier=small escalated policy=default\n"
                                 "escalation from=small to=large reason=low_confidence "
                                 "policy=default"));
  EXPECT_THAT(metrics, HasSubstr("attempt tier=large accepted policy=default"));
  EXPECT_THAT(metrics, HasSubstr("attempt tier=small accepted policy=default"));
  EXPECT_THAT(metrics, HasSubstr("final_tier=large outcome=ok policy=default"));
  EXPECT_THAT(metrics, HasSubstr("cost route=router_unavailable"));
}

TEST_F(OrchestratorTest, UnknownPolicyIsCountedUnderNoneNotItsName) {
  auto request = Ask("hi");
  request.set_policy("no-such-policy-from-a-client");
  EXPECT_FALSE(Make().Complete(request, Call()).ok());
  EXPECT_THAT(Metrics(), HasSubstr("policy=none"));
  EXPECT_THAT(Metrics(), Not(HasSubstr("no-such-policy-from-a-client")));
}

TEST_F(OrchestratorTest, ThresholdOverrideComparesTheProbability) {
  small_->Enqueue(Small(-0.5));  // exp(-0.5) = 0.61: passes -1.0, fails an override of 0.9.
  large_->Enqueue(Large());
  v1::CascadeRequest request = Ask("hi");
  request.set_threshold_override(0.9);
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
}

TEST_F(OrchestratorTest, ClimbsOnTheJudgeAndCountsItsCost) {
  AcceptanceRule rule;
  rule.judge_min = 0.7;
  rule.judge_methods = {"llm"};
  settings_.policies[0].tiers[0].accept = rule;
  v1::ScoreResponse score;
  score.set_score(0.3);
  score.set_cost_pusd(12345);
  auto* method = score.add_methods();
  method->set_method("llm");
  method->set_score(0.3);
  judge_->reply = score;
  small_->Enqueue(Small(-0.1));
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("question"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_EQ(response->steps(0).method(), "judge");
  EXPECT_DOUBLE_EQ(response->steps(0).confidence(), 0.3);
  EXPECT_EQ(response->steps(0).cost_pusd(), 10 * kSmallIn + 4 * kSmallOut + 12345);
  EXPECT_EQ(response->cost_pusd(),
            10 * kSmallIn + 4 * kSmallOut + 12345 + 10 * kLargeIn + 6 * kLargeOut);
  ASSERT_EQ(judge_->requests.size(), 1u);
  EXPECT_EQ(judge_->requests[0].answer(), "small answer");
  EXPECT_EQ(judge_->requests[0].methods(0), "llm");
  EXPECT_THAT(Metrics(), HasSubstr("reason=judge policy=default\n"));
  // The judge's scores are in the trace with the logprob signals it did not use.
  const v1::AnswerSignals& signals = response->steps(0).signals();
  EXPECT_DOUBLE_EQ(signals.judge_scores().at("llm"), 0.3);
  EXPECT_DOUBLE_EQ(signals.logprob_mean(), -0.1);
}

// Every answer's step carries every signal, whichever one its rule uses; the top tier's
// too, and every tier is asked for logprobs so that they exist.
TEST_F(OrchestratorTest, EveryStepCarriesEverySignalOfItsAnswer) {
  v1::CompleteResponse uneven = Small(-0.2);
  const double logprobs[] = {-0.1, -0.2, -2.0, -0.5};
  for (int i = 0; i < 4; ++i) uneven.mutable_logprobs(i)->set_logprob(logprobs[i]);
  small_->Enqueue(uneven);
  large_->Enqueue(Large());
  settings_.policies[0].tiers[0].accept.logprob_min = -0.5;  // The mean -0.7 fails.
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->steps_size(), 2);
  const v1::AnswerSignals& small = response->steps(0).signals();
  EXPECT_EQ(small.completion_tokens(), 4);
  EXPECT_DOUBLE_EQ(small.logprob_mean(), -0.7);
  EXPECT_DOUBLE_EQ(small.logprob_min(), -2.0);
  // Sorted: -2.0, -0.5, -0.2, -0.1; p10 and p25 interpolate between the first two.
  EXPECT_NEAR(small.logprob_p10(), -2.0 + 0.3 * 1.5, 1e-12);
  EXPECT_NEAR(small.logprob_p25(), -2.0 + 0.75 * 1.5, 1e-12);
  EXPECT_NEAR(small.logprob_mean_len(), -2.8 / 2.0, 1e-12);
  EXPECT_TRUE(small.judge_scores().empty());
  const v1::AnswerSignals& large = response->steps(1).signals();
  EXPECT_EQ(large.completion_tokens(), 6);
  EXPECT_DOUBLE_EQ(large.logprob_mean(), -0.1);
  EXPECT_TRUE(large_->requests()[0].params().logprobs());
}

TEST_F(OrchestratorTest, AnAnswerWithoutLogprobsClaimsNoAggregate) {
  v1::CompleteResponse bare = Small(-0.2);
  bare.clear_logprobs();
  small_->Enqueue(bare);
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  const v1::AnswerSignals& signals = response->steps(0).signals();
  EXPECT_FALSE(signals.has_logprob_mean());
  EXPECT_FALSE(signals.has_logprob_min());
  EXPECT_EQ(signals.completion_tokens(), 4);
}

// The self-check costs a second model call: a tier is asked for it only when its rule runs
// and uses it; its P(yes) is a signal of the step either way.
TEST_F(OrchestratorTest, ASelfCheckIsAskedForOnlyWhereARuleUsesIt) {
  AcceptanceRule rule;
  rule.self_check_min = 0.8;
  settings_.policies[0].tiers[0].accept = rule;
  v1::CompleteResponse doubtful = Small(-0.01);
  doubtful.mutable_self_check()->set_p_yes(0.3);
  doubtful.mutable_self_check()->set_source("logprobs");
  small_->Enqueue(doubtful);
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_EQ(response->steps(0).method(), "self_check");
  EXPECT_DOUBLE_EQ(response->steps(0).confidence(), 0.3);
  EXPECT_DOUBLE_EQ(response->steps(0).signals().self_check_p_yes(), 0.3);
  EXPECT_EQ(response->steps(0).signals().self_check_source(), "logprobs");
  EXPECT_DOUBLE_EQ(response->steps(0).signals().logprob_mean(), -0.01);
  EXPECT_FALSE(response->steps(1).signals().has_self_check_p_yes());
  EXPECT_TRUE(small_->requests()[0].self_check());
  // The top tier always accepts: nothing would read its self-check.
  EXPECT_FALSE(large_->requests()[0].self_check());
  EXPECT_THAT(Metrics(), HasSubstr("escalation from=small to=large reason=self_check"));
  EXPECT_THAT(Metrics(), HasSubstr("confidence tier=small method=self_check"));

  // A logprob rule does not ask for it.
  settings_.policies[0].tiers[0].accept = AcceptanceRule();
  settings_.policies[0].tiers[0].accept.logprob = *LogprobConfidence::Parse("mean");
  settings_.policies[0].tiers[0].accept.logprob_min = -1.0;
  small_->Enqueue(Small(-0.1));
  ASSERT_TRUE(Make().Complete(Ask("hi"), Call()).ok());
  EXPECT_FALSE(small_->requests().back().self_check());
}

TEST_F(OrchestratorTest, AndRuleSkipsTheJudgeWhenLogprobsAlreadyFail) {
  settings_.policies[0].tiers[0].accept.judge_min = 0.5;
  settings_.policies[0].tiers[0].accept.judge_methods = {"llm"};
  small_->Enqueue(Small(-3.0));
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(judge_->requests.empty());
  EXPECT_EQ(response->final_tier(), "large");
}

TEST_F(OrchestratorTest, AFailingJudgeMeansClimbingWithTheErrorInTheTrace) {
  AcceptanceRule rule;
  rule.judge_min = 0.7;
  rule.judge_methods = {"llm"};
  settings_.policies[0].tiers[0].accept = rule;
  small_->Enqueue(Small(-0.1));
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_THAT(response->steps(0).error(), HasSubstr("judge"));
  EXPECT_EQ(response->final_tier(), "large");
}

TEST_F(OrchestratorTest, AFailedTierIsSkippedWithItsErrorInTheTrace) {
  small_->Enqueue(absl::UnavailableError("connection refused"));
  large_->Enqueue(Large());
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_THAT(response->steps(0).error(), HasSubstr("connection refused"));
  EXPECT_EQ(response->steps(0).cost_pusd(), 0);
  EXPECT_EQ(response->cost_pusd(), 10 * kLargeIn + 6 * kLargeOut);
  EXPECT_EQ(response->savings_pusd(), 0);
  EXPECT_THAT(Metrics(), HasSubstr("reason=error policy=default\n"));
}

TEST_F(OrchestratorTest, ATimeoutIsItsOwnEscalationReason) {
  small_->Enqueue(absl::DeadlineExceededError("slow"));
  large_->Enqueue(Large());
  ASSERT_TRUE(Make().Complete(Ask("hi"), Call()).ok());
  EXPECT_THAT(Metrics(), HasSubstr("reason=timeout policy=default\n"));
}

TEST_F(OrchestratorTest, EveryTierFailingIsUnavailableNamingEach) {
  small_->Enqueue(absl::UnavailableError("small is down"));
  large_->Enqueue(absl::InternalError("large broke"));
  auto response = Make().Complete(Ask("hi"), Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("small is down"));
  EXPECT_THAT(response.status().message(), HasSubstr("large broke"));
}

// The last tier's own deadline can fire a moment before the request's: the client must see
// DEADLINE_EXCEEDED (a slow request), not UNAVAILABLE (a broken cascade).
TEST_F(OrchestratorTest, ALastTierOutOfTimeIsDeadlineExceededEvenBeforeTheDeadline) {
  small_->Enqueue(absl::UnavailableError("small is down"));
  large_->Enqueue(absl::DeadlineExceededError("the upstream did not answer in time"));
  auto response = Make().Complete(Ask("hi"), Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(), HasSubstr("small is down"));
  EXPECT_THAT(response.status().message(), HasSubstr("did not answer in time"));
}

// A request every tier refuses as invalid is the caller's error, and it says nothing about
// the tiers' health: INVALID_ARGUMENT, and no circuit opens (the breaker allows 2 failures).
TEST_F(OrchestratorTest, ARequestEveryTierRefusesIsInvalidArgumentAndOpensNoCircuit) {
  Orchestrator& orchestrator = Make();
  for (int i = 0; i < 3; ++i) {
    small_->Enqueue(absl::InvalidArgumentError("max_tokens 9999 is over this tier's limit"));
    large_->Enqueue(absl::InvalidArgumentError("max_tokens 9999 is over this tier's limit"));
    auto response = orchestrator.Complete(Ask("hi"), Call());
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(response.status().message(), HasSubstr("over this tier's limit"));
  }
  small_->Enqueue(Small(-0.2));
  auto response = orchestrator.Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(observer_->Last("circuit tier=small"), "circuit tier=small closed");
}

// Parameters the tiers would refuse are refused before any tier is called.
TEST_F(OrchestratorTest, InvalidParametersAreRefusedBeforeAnyTierIsCalled) {
  v1::CascadeRequest request = Ask("hi");
  request.mutable_params()->set_temperature(std::nanf(""));
  auto response = Make().Complete(request, Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), HasSubstr("params.temperature"));
  request = Ask("bad \xC3\x28 byte");
  response = Make().Complete(request, Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), HasSubstr("not valid UTF-8"));
  EXPECT_EQ(small_->calls(), 0);
}

// Without routing a hint cannot be honoured, and the client's text must never become a
// metric label.
TEST_F(OrchestratorTest, ARouteHintWithoutRoutingIsInvalidArgument) {
  settings_.policies[0].routing = false;
  v1::CascadeRequest request = Ask("hi");
  request.set_route_hint("anything-a-client-likes");
  auto response = Make().Complete(request, Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(), HasSubstr("has routing off"));
  EXPECT_EQ(small_->calls(), 0);
  EXPECT_THAT(Metrics(), Not(HasSubstr("anything-a-client-likes")));
}

TEST_F(OrchestratorTest, ARejectedAnswerIsKeptWhenTheTierAboveFails) {
  small_->Enqueue(Small(-3.0));
  large_->Enqueue(absl::UnavailableError("down"));
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->stopped_reason(), "error");
}

TEST_F(OrchestratorTest, CircuitOpensAfterFailuresThenProbes) {
  small_->Enqueue(absl::UnavailableError("down"));
  large_->Enqueue(Large());
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("hi"), Call()).ok());
  ASSERT_TRUE(orchestrator.Complete(Ask("hi"), Call()).ok());
  EXPECT_EQ(small_->calls(), 2);
  EXPECT_EQ(observer_->Last("circuit tier=small"), "circuit tier=small open");
  auto skipped = orchestrator.Complete(Ask("hi"), Call());
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(small_->calls(), 2);  // Not called while open.
  EXPECT_THAT(skipped->steps(0).error(), HasSubstr("circuit open"));
  EXPECT_THAT(Metrics(), HasSubstr("reason=circuit_open policy=default\n"));
  now_ += absl::Seconds(30);
  small_->Enqueue(Small(-0.1));
  auto probed = orchestrator.Complete(Ask("hi"), Call());
  ASSERT_TRUE(probed.ok());
  EXPECT_EQ(probed->final_tier(), "small");
  EXPECT_EQ(observer_->Last("circuit tier=small"), "circuit tier=small closed");
}

TEST_F(OrchestratorTest, RouteStartsAtItsTier) {
  v1::RouteDecision decision;
  decision.set_route("hard");
  decision.set_start_tier("large");
  router_->decision = decision;
  large_->Enqueue(Large());
  v1::CascadeRequest request = Ask("first");
  v1::ChatMessage second = request.messages(0);
  second.set_content("the last user message");
  *request.add_messages() = second;
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->route(), "hard");
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_EQ(small_->calls(), 0);
  EXPECT_EQ(router_->queries, std::vector<std::string>({"the last user message"}));
  // The router gets its short timeout, not the request's deadline.
  EXPECT_EQ(router_->calls[0].deadline, now_ + absl::Milliseconds(50));
}

TEST_F(OrchestratorTest, FixedTierAnswersAloneWithoutAConfidenceCheck) {
  v1::RouteDecision decision;
  decision.set_route("chit-chat");
  decision.set_fixed_tier("small");
  router_->decision = decision;
  small_->Enqueue(Small(-5.0));
  auto response = Make().Complete(Ask("hello"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->steps(0).method(), "fixed");
  EXPECT_EQ(large_->calls(), 0);
}

TEST_F(OrchestratorTest, RouteToAnUnknownTierStartsAtTheFirst) {
  v1::RouteDecision decision;
  decision.set_route("odd");
  decision.set_start_tier("medium");
  router_->decision = decision;
  small_->Enqueue(Small(-0.1));
  auto response = Make().Complete(Ask("hello"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->route(), "odd");
}

TEST_F(OrchestratorTest, RouteHintLooksTheRouteUpInsteadOfRouting) {
  v1::ListRoutesResponse routes;
  auto* route = routes.add_routes();
  route->set_name("hard");
  route->set_start_tier("large");
  router_->routes = routes;
  large_->Enqueue(Large());
  v1::CascadeRequest request = Ask("hi");
  request.set_route_hint("hard");
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_TRUE(router_->queries.empty());
  request.set_route_hint("nonexistent");
  auto unknown = orchestrator_->Complete(request, Call());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("route_hint 'nonexistent'"));
}

TEST_F(OrchestratorTest, BudgetStopsClimbingAndSaysSo) {
  small_->Enqueue(Small(-3.0));
  v1::CascadeRequest request = Ask("hi");  // 1 prompt token (2 bytes), max_tokens 16.
  // Small's expected cost fits; after what small actually cost, large's expected
  // (kLargeIn + 16 * kLargeOut) does not, by one pico-USD.
  request.set_budget_pusd(10 * kSmallIn + 4 * kSmallOut + kLargeIn + 16 * kLargeOut - 1);
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->stopped_reason(), "budget");
  EXPECT_EQ(large_->calls(), 0);
  EXPECT_EQ(response->steps_size(), 1);
}

TEST_F(OrchestratorTest, BudgetBelowTheFirstTierIsResourceExhausted) {
  v1::CascadeRequest request = Ask("hi");
  request.set_budget_pusd(1);
  auto response = Make().Complete(request, Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(response.status().message(), HasSubstr("budget_pusd 1"));
  EXPECT_EQ(small_->calls(), 0);
}

TEST_F(OrchestratorTest, MaxTierCapsTheClimb) {
  small_->Enqueue(Small(-3.0));
  v1::CascadeRequest request = Ask("hi");
  request.set_max_tier("small");
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->stopped_reason(), "max_tier");
  EXPECT_FALSE(response->steps(0).accepted());
}

TEST_F(OrchestratorTest, MaxTiersCapsTheSteps) {
  settings_.policies[0].max_tiers = 1;
  small_->Enqueue(Small(-3.0));
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->stopped_reason(), "max_tiers");
  EXPECT_EQ(large_->calls(), 0);
}

TEST_F(OrchestratorTest, DeadlineIsCutAndSplitAcrossTiers) {
  settings_.policies[0].max_deadline = absl::Seconds(10);
  small_->Enqueue(Small(-3.0));
  large_->Enqueue(Large());
  CascadeCall call = Call();
  call.deadline = now_ + absl::Seconds(60);
  ASSERT_TRUE(Make().Complete(Ask("hi"), call).ok());
  // Cut to max_deadline; a tier that is not the last gets half of what is left.
  EXPECT_EQ(small_->downstream_calls()[0].deadline, now_ + absl::Seconds(5));
  EXPECT_EQ(large_->downstream_calls()[0].deadline, now_ + absl::Seconds(10));
  EXPECT_EQ(small_->downstream_calls()[0].request_id, "req-1");
  EXPECT_EQ(small_->downstream_calls()[0].cancellation, &cancel_);
}

TEST_F(OrchestratorTest, DefaultDeadlineWhenTheClientSetsNone) {
  small_->Enqueue(Small(-0.1));
  ASSERT_TRUE(Make().Complete(Ask("hi"), Call()).ok());
  EXPECT_EQ(small_->downstream_calls()[0].deadline, now_ + absl::Seconds(15));
}

TEST_F(OrchestratorTest, PassedDeadlineAndCancellationStopAtOnce) {
  CascadeCall call = Call();
  call.deadline = now_ - absl::Seconds(1);
  EXPECT_EQ(Make().Complete(Ask("hi"), call).status().code(), absl::StatusCode::kDeadlineExceeded);
  cancel_.Cancel();
  EXPECT_EQ(orchestrator_->Complete(Ask("hi"), Call()).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(small_->calls(), 0);
}

TEST_F(OrchestratorTest, StreamsOnlyTheAcceptedTiersText) {
  small_->Enqueue(Small(-3.0));
  large_->Enqueue(Large());
  std::vector<std::string> texts;
  CascadeCall call = Call();
  int streamed_logprobs = 0;
  call.on_text = [&](absl::string_view text, const TokenLogprobs& logprobs) {
    texts.emplace_back(text);
    streamed_logprobs += logprobs.size();
  };
  auto response = Make().Complete(Ask("hi"), call);
  ASSERT_TRUE(response.ok());
  // The small tier (which could be rejected) was buffered; the last one streamed live.
  EXPECT_EQ(small_->streamed(), std::vector<bool>({false}));
  EXPECT_EQ(large_->streamed(), std::vector<bool>({true}));
  EXPECT_EQ(texts, std::vector<std::string>({"large ", "answer"}));
  // Each delta carries its tokens' logprobs: all of the large tier's, none of the small's.
  EXPECT_EQ(streamed_logprobs, Large().logprobs_size());
}

TEST_F(OrchestratorTest, AnAcceptedBufferedAnswerIsSentWhole) {
  small_->Enqueue(Small(-0.1));
  std::vector<std::string> texts;
  CascadeCall call = Call();
  int streamed_logprobs = 0;
  call.on_text = [&](absl::string_view text, const TokenLogprobs& logprobs) {
    texts.emplace_back(text);
    streamed_logprobs += logprobs.size();
  };
  ASSERT_TRUE(Make().Complete(Ask("hi"), call).ok());
  EXPECT_EQ(texts, std::vector<std::string>({"small answer"}));
  EXPECT_EQ(streamed_logprobs, Small(-0.1).logprobs_size());
}

TEST_F(OrchestratorTest, BaselineUsesTheFallbackPriceWhenTheTopTierCannotBeDescribed) {
  settings_.tiers[1].fallback_price = TierPrice{3'000'000, 12'000'000};
  large_->FailDescribe(true);
  small_->Enqueue(Small(-0.1));
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->baseline_cost_pusd(), 10 * 3'000'000 + 4 * 12'000'000);
}

TEST_F(OrchestratorTest, NoPriceAtAllClaimsNoSaving) {
  large_->FailDescribe(true);
  small_->Enqueue(Small(-0.1));
  auto response = Make().Complete(Ask("hi"), Call());
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->baseline_cost_pusd(), response->cost_pusd());
  EXPECT_EQ(response->savings_pusd(), 0);
}

TEST_F(OrchestratorTest, BadRequestsNameTheField) {
  Orchestrator& orchestrator = Make();
  auto expect = [&](const v1::CascadeRequest& request, absl::StatusCode code,
                    const std::string& text) {
    auto response = orchestrator.Complete(request, Call());
    EXPECT_EQ(response.status().code(), code) << text;
    EXPECT_THAT(response.status().message(), HasSubstr(text));
  };
  expect(v1::CascadeRequest(), absl::StatusCode::kInvalidArgument, "messages");
  v1::CascadeRequest request = Ask("hi");
  request.mutable_messages(0)->set_role("robot");
  expect(request, absl::StatusCode::kInvalidArgument, "messages[0].role 'robot'");
  request = Ask("hi");
  request.set_policy("gold");
  expect(request, absl::StatusCode::kNotFound, "policy 'gold' is not configured");
  request = Ask("hi");
  request.set_start_tier("medium");
  expect(request, absl::StatusCode::kInvalidArgument, "start_tier 'medium'");
  request = Ask("hi");
  request.set_max_tier("huge");
  expect(request, absl::StatusCode::kInvalidArgument, "max_tier 'huge'");
  request = Ask("hi");
  request.set_threshold_override(1.5);
  expect(request, absl::StatusCode::kInvalidArgument, "threshold_override");
  request = Ask("hi");
  request.set_budget_pusd(-5);
  expect(request, absl::StatusCode::kInvalidArgument, "budget_pusd");
  request = Ask("hi");
  request.set_start_tier("large");
  request.set_max_tier("small");
  expect(request, absl::StatusCode::kInvalidArgument, "above max_tier");
  EXPECT_EQ(small_->calls(), 0);
}

TEST_F(OrchestratorTest, UnconfiguredSaysWhatIsMissing) {
  settings_.policies.clear();
  auto response = Make().Complete(Ask("hi"), Call());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(), HasSubstr("policies"));
  EXPECT_TRUE(orchestrator_->PolicyNames().empty());
}

}  // namespace
}  // namespace cascade::orchestrator
