// The router's per-tier estimates in the cascade. `start: learned`: the expected-cost rule on
// its own, then the orchestrator asking a router double for estimates and skipping (or not)
// the tiers they say will fail. Acceptance: a calibrated rule that weighs the estimate (what
// `cascadectl policy fit` writes for the router_estimate signal) accepts, or escalates, by it.

#include "services/orchestrator/lib/learned_start.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/orchestrator/lib/calibrated_confidence.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using ::testing::ElementsAre;
using testing::FakeRouterClient;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ChooseLearnedStartTest, SkipsATierWhenTryingItCostsMoreThanItSaves) {
  // Two tiers: small is worth trying when p * c_large > c_small, i.e. p > 0.1 here.
  const std::vector<double> cost = {10, 100};
  EXPECT_EQ(ChooseLearnedStart(std::vector<double>{0.05, 1}, cost, 0, 1).first, 1);
  EXPECT_EQ(ChooseLearnedStart(std::vector<double>{0.5, 1}, cost, 0, 1).first, 0);
  // At the break-even point the cheaper start wins.
  EXPECT_EQ(ChooseLearnedStart(std::vector<double>{0.1, 1}, cost, 0, 1).first, 0);
  EXPECT_DOUBLE_EQ(ChooseLearnedStart(std::vector<double>{0.5, 1}, cost, 0, 1).expected_cost_pusd,
                   10 + 0.5 * 100);
}

TEST(ChooseLearnedStartTest, ConsidersEveryStartNotOnlyTheNextTier) {
  // tiny and mid both nearly always fail; starting at top beats either.
  const std::vector<double> cost = {1, 20, 100};
  const LearnedStartChoice choice =
      ChooseLearnedStart(std::vector<double>{0.0, 0.05, 1}, cost, 0, 2);
  EXPECT_EQ(choice.first, 2);
  EXPECT_DOUBLE_EQ(choice.expected_cost_pusd, 100);
  // A good mid tier: skip tiny (it nearly always fails) but start at mid.
  EXPECT_EQ(ChooseLearnedStart(std::vector<double>{0.0, 0.9, 1}, cost, 0, 2).first, 1);
}

TEST(ChooseLearnedStartTest, NeverStartsAboveTheLastTierAllowed) {
  const std::vector<double> cost = {1, 20, 100};
  EXPECT_EQ(ChooseLearnedStart(std::vector<double>{0.0, 0.0, 1}, cost, 0, 1).first, 1);
}

constexpr int64_t kSmallIn = 100'000;
constexpr int64_t kSmallOut = 400'000;
constexpr int64_t kLargeIn = 2'500'000;
constexpr int64_t kLargeOut = 10'000'000;

class LearnedStartOrchestratorTest : public ::testing::Test {
 protected:
  LearnedStartOrchestratorTest() {
    settings_ = testing::SmallThenLargeSettings();
    settings_.policies[0].learned_start = true;
  }

  Orchestrator& Make() {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    clients.router = router_;
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_);
    return *orchestrator_;
  }

  void Estimate(double small, double large) {
    v1::EstimateTiersResponse response;
    for (const auto& [tier, p] : {std::pair{"small", small}, std::pair{"large", large}}) {
      v1::TierEstimate* estimate = response.add_estimates();
      estimate->set_tier(tier);
      estimate->set_probability(p);
      estimate->set_neighbours(7);
    }
    router_->estimates = response;
  }

  static v1::CascadeRequest Ask() {
    v1::CascadeRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content("compute 17 * 23 mod 97");
    request.mutable_params()->set_max_tokens(16);
    return request;
  }

  CascadeCall Call() {
    CascadeCall call;
    call.request_id = "req-1";
    call.cancellation = &cancel_;
    return call;
  }

  OrchestratorSettings settings_;
  std::shared_ptr<FakeTierClient> small_ =
      std::make_shared<FakeTierClient>("small", kSmallIn, kSmallOut);
  std::shared_ptr<FakeTierClient> large_ =
      std::make_shared<FakeTierClient>("large", kLargeIn, kLargeOut);
  std::shared_ptr<FakeRouterClient> router_ = std::make_shared<FakeRouterClient>();
  std::shared_ptr<testing::RecordingObserver> observer_ =
      std::make_shared<testing::RecordingObserver>();
  CancellationToken cancel_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(LearnedStartOrchestratorTest, ATierThatWillFailIsSkippedAndTheTraceSaysSo) {
  Estimate(0.01, 0.95);
  large_->Enqueue(Answer("large", "391 mod 97 = 3", -0.1, 10, 6, kLargeIn, kLargeOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(small_->calls(), 0);
  EXPECT_EQ(response->final_tier(), "large");
  ASSERT_EQ(response->steps_size(), 1);
  EXPECT_THAT(response->skipped_tiers(), ElementsAre("small"));
  ASSERT_EQ(response->tier_estimates_size(), 2);
  EXPECT_EQ(response->tier_estimates(0).tier(), "small");
  EXPECT_DOUBLE_EQ(response->tier_estimates(0).probability(), 0.01);
  EXPECT_EQ(response->tier_estimates(0).neighbours(), 7);
  // The router was asked about the last user message, for this policy.
  EXPECT_THAT(router_->queries, ElementsAre("compute 17 * 23 mod 97"));
  EXPECT_THAT(router_->estimated_policies, ElementsAre("default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("learned_skip tier=small policy=default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("request route=learned final_tier=large outcome=ok"));
}

TEST_F(LearnedStartOrchestratorTest, ALikelyTierIsTriedFirst) {
  Estimate(0.6, 0.95);
  small_->Enqueue(Answer("small", "3", -0.1, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->skipped_tiers_size(), 0);
  EXPECT_EQ(response->tier_estimates_size(), 2);
}

TEST_F(LearnedStartOrchestratorTest, NoExemplarsMeansThePlainCascade) {
  router_->estimates = absl::NotFoundError("no outcome exemplars for policy 'default'");
  small_->Enqueue(Answer("small", "3", -0.1, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->tier_estimates_size(), 0);
  EXPECT_THAT(observer_->Text(), HasSubstr("route=learned_no_exemplars"));
}

TEST_F(LearnedStartOrchestratorTest, ARouterDownMeansThePlainCascade) {
  router_->estimates = absl::UnavailableError("router down");
  small_->Enqueue(Answer("small", "3", -0.1, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_THAT(observer_->Text(), HasSubstr("route=router_unavailable"));
}

TEST_F(LearnedStartOrchestratorTest, TheClientsStartTierWins) {
  Estimate(0.01, 0.95);
  small_->Enqueue(Answer("small", "3", -0.1, 10, 4, kSmallIn, kSmallOut));
  v1::CascadeRequest request = Ask();
  request.set_start_tier("small");
  auto response = Make().Complete(request, Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_TRUE(router_->queries.empty());
}

TEST_F(LearnedStartOrchestratorTest, AnUnpricedTierMeansNoSkipping) {
  Estimate(0.01, 0.95);
  small_->FailDescribe(true);
  small_->Enqueue(Answer("small", "3", -0.1, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->skipped_tiers_size(), 0);
}

// The small tier accepts when P = 1 / (1 + exp(-(0 + 1 x log_odds(estimate)))) >= 0.8, i.e.
// when the router's estimate is >= 0.8, whatever the answer's logprobs say; no learned start.
class RouterEstimateRuleTest : public LearnedStartOrchestratorTest {
 protected:
  RouterEstimateRuleTest() {
    settings_.policies[0].learned_start = false;
    v1::CalibratedAcceptanceConfig config;
    config.set_min_probability(0.8);
    auto* weight = config.add_weights();
    weight->set_signal("router_estimate_log_odds");
    weight->set_weight(1);
    AcceptanceRule rule;
    rule.calibrated = *CalibratedConfidence::Parse(config, "accept.calibrated");
    rule.calibrated_min = 0.8;
    settings_.policies[0].tiers[0].accept = rule;
  }
};

TEST_F(RouterEstimateRuleTest, AConfidentEstimateAcceptsAndTheStepRecordsIt) {
  Estimate(0.9, 0.99);
  // A logprob rule would have refused this answer; the estimate decides.
  small_->Enqueue(Answer("small", "3", -2.5, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  ASSERT_EQ(response->steps_size(), 1);
  EXPECT_EQ(response->steps(0).method(), "calibrated");
  EXPECT_NEAR(response->steps(0).confidence(), 0.9, 1e-9);
  ASSERT_TRUE(response->steps(0).signals().has_router_estimate());
  EXPECT_DOUBLE_EQ(response->steps(0).signals().router_estimate(), 0.9);
  // Asked once, for this policy, although the start is not learned; nothing skipped.
  EXPECT_THAT(router_->estimated_policies, ElementsAre("default"));
  EXPECT_EQ(response->tier_estimates_size(), 2);
  EXPECT_EQ(response->skipped_tiers_size(), 0);
}

TEST_F(RouterEstimateRuleTest, ADoubtfulEstimateEscalates) {
  Estimate(0.5, 0.99);
  small_->Enqueue(Answer("small", "3", -0.01, 10, 4, kSmallIn, kSmallOut));
  large_->Enqueue(Answer("large", "3", -0.1, 10, 4, kLargeIn, kLargeOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_FALSE(response->steps(0).accepted());
  EXPECT_DOUBLE_EQ(response->steps(0).signals().router_estimate(), 0.5);
  EXPECT_DOUBLE_EQ(response->steps(1).signals().router_estimate(), 0.99);
}

TEST_F(RouterEstimateRuleTest, WithoutAnEstimateTheRuleDoesNotPass) {
  router_->estimates = absl::UnavailableError("router down");
  small_->Enqueue(Answer("small", "3", -0.01, 10, 4, kSmallIn, kSmallOut));
  large_->Enqueue(Answer("large", "3", -0.1, 10, 4, kLargeIn, kLargeOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_FALSE(response->steps(0).signals().has_router_estimate());
  EXPECT_THAT(response->steps(0).error(), HasSubstr("the router gave no estimate"));
  EXPECT_THAT(observer_->Text(),
              HasSubstr("router_estimate_missing reason=router_error policy=default"));
}

TEST_F(RouterEstimateRuleTest, NoEstimateForThePolicysTiersIsCountedAsMissing) {
  router_->estimates = v1::EstimateTiersResponse();
  small_->Enqueue(Answer("small", "3", -0.01, 10, 4, kSmallIn, kSmallOut));
  large_->Enqueue(Answer("large", "3", -0.1, 10, 4, kLargeIn, kLargeOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_THAT(observer_->Text(),
              HasSubstr("router_estimate_missing reason=no_estimates policy=default"));
}

TEST_F(RouterEstimateRuleTest, AnEstimateThatCameIsNotCountedAsMissing) {
  Estimate(0.9, 0.99);
  small_->Enqueue(Answer("small", "3", -2.5, 10, 4, kSmallIn, kSmallOut));
  ASSERT_TRUE(Make().Complete(Ask(), Call()).ok());
  EXPECT_THAT(observer_->Text(), Not(HasSubstr("router_estimate_missing")));
}

TEST_F(RouterEstimateRuleTest, ALearnedStartAsksTheRouterOnce) {
  settings_.policies[0].learned_start = true;
  Estimate(0.9, 0.99);
  small_->Enqueue(Answer("small", "3", -2.5, 10, 4, kSmallIn, kSmallOut));
  auto response = Make().Complete(Ask(), Call());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(router_->estimated_policies.size(), 1u);
}

}  // namespace
}  // namespace cascade::orchestrator
