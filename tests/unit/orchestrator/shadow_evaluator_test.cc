// Shadow evaluation: the hourly spend window on its own, then the evaluator over tier and
// router doubles: who is sampled, what is counted and labelled, the budget, the queue, and
// that Offer never waits on a shadow call.

#include "services/orchestrator/lib/shadow_evaluator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "common/outcomes/outcomes.h"
#include "common/text/sha256.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using testing::FakeRouterClient;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordingObserver;

constexpr int64_t kHour = 3600;

TEST(ShadowBudgetTest, RefusesWhatWouldPassTheHourlyLimit) {
  ShadowBudget budget(100);
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  EXPECT_TRUE(budget.TryReserve(60, start));
  EXPECT_TRUE(budget.TryReserve(40, start));
  EXPECT_FALSE(budget.TryReserve(1, start));
  EXPECT_FALSE(budget.HasRoom(start));
  EXPECT_EQ(budget.SpentInLastHour(start), 100);
  // An hour later the window is empty again.
  EXPECT_TRUE(budget.HasRoom(start + absl::Seconds(kHour)));
  EXPECT_EQ(budget.SpentInLastHour(start + absl::Seconds(kHour)), 0);
}

TEST(ShadowBudgetTest, SettlingReplacesTheEstimateByTheCost) {
  ShadowBudget budget(100);
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  std::optional<uint64_t> first = budget.TryReserve(80, start);
  ASSERT_TRUE(first);
  EXPECT_FALSE(budget.TryReserve(30, start));
  budget.Settle(*first, 50, start + absl::Seconds(1));  // Cost less than estimated.
  EXPECT_EQ(budget.SpentInLastHour(start + absl::Seconds(1)), 50);
  EXPECT_TRUE(budget.TryReserve(30, start + absl::Seconds(1)));
  // A failed call (cost 0) gives its whole reservation back.
  std::optional<uint64_t> failed = budget.TryReserve(20, start + absl::Seconds(2));
  ASSERT_TRUE(failed);
  budget.Settle(*failed, 0, start + absl::Seconds(3));
  EXPECT_EQ(budget.SpentInLastHour(start + absl::Seconds(3)), 80);
}

TEST(ShadowBudgetTest, ACallSettledAfterItsHourCountsOnlyItsOverrun) {
  ShadowBudget budget(100);
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  std::optional<uint64_t> slow = budget.TryReserve(50, start);
  ASSERT_TRUE(slow);
  const absl::Time later = start + absl::Seconds(kHour + 10);
  budget.Settle(*slow, 70, later);  // 20 more than reserved, learned an hour later.
  EXPECT_EQ(budget.SpentInLastHour(later), 20);
  EXPECT_TRUE(budget.TryReserve(80, later));
  EXPECT_FALSE(budget.TryReserve(1, later));
  EXPECT_FALSE(budget.TryReserve(-1, later + absl::Seconds(kHour)));  // Never negative.
}

// Prices per million tokens (micro-USD); Answer() makes cost = tokens * price.
constexpr int64_t kSmallIn = 100'000;
constexpr int64_t kSmallOut = 400'000;
constexpr int64_t kLargeIn = 2'500'000;
constexpr int64_t kLargeOut = 10'000'000;
// 10 prompt + 20 completion tokens at the large tier's prices.
constexpr int64_t kLargeCallPusd = 10 * kLargeIn + 20 * kLargeOut;

class ShadowEvaluatorTest : public ::testing::Test {
 protected:
  ShadowEvaluatorTest()
      : small_(std::make_shared<FakeTierClient>("small", kSmallIn, kSmallOut)),
        large_(std::make_shared<FakeTierClient>("large", kLargeIn, kLargeOut)),
        router_(std::make_shared<FakeRouterClient>()),
        prices_(TierPrices::Options(), [this] { return Now(); }) {
    settings_ = testing::SmallThenLargeSettings();
    policy_ = settings_.policies[0];
    policy_.shadow = ShadowSettings{1.0, 1'000'000 * kLargeCallPusd, "large"};
    prices_.AddTier("small", small_, std::nullopt);
    prices_.AddTier("large", large_, std::nullopt);
    large_->Enqueue(Answer("large", "The answer is 42.", -0.1, 10, 20, kLargeIn, kLargeOut));
    request_.add_messages()->set_role("system");
    request_.mutable_messages(0)->set_content("Be brief.");
    auto* user = request_.add_messages();
    user->set_role("user");
    user->set_content("What is six times seven?");
    call_.request_id = "req-1";
  }

  absl::Time Now() {
    absl::MutexLock lock(&clock_mu_);
    return now_;
  }

  std::unique_ptr<ShadowEvaluator> MakeEvaluator(ShadowEvaluatorOptions options = {}) {
    if (options.seed == 0) options.seed = 7;
    return std::make_unique<ShadowEvaluator>(
        options, ShadowClients{{{"small", small_}, {"large", large_}}, router_, judge_}, &observer_,
        &prices_, [this] { return Now(); });
  }

  v1::CascadeResponse AnsweredBy(const std::string& tier, const std::string& text) {
    v1::CascadeResponse response;
    response.set_final_tier(tier);
    response.set_answer(text);
    response.mutable_usage()->set_prompt_tokens(10);
    response.mutable_usage()->set_completion_tokens(20);
    return response;
  }

  int Count(const std::string& event) {
    const std::string text = observer_.Text();
    int count = 0;
    for (size_t at = text.find(event); at != std::string::npos; at = text.find(event, at + 1)) {
      ++count;
    }
    return count;
  }

  OrchestratorSettings settings_;
  PolicySettings policy_;
  std::shared_ptr<FakeTierClient> small_;
  std::shared_ptr<FakeTierClient> large_;
  std::shared_ptr<FakeRouterClient> router_;
  std::shared_ptr<testing::FakeJudgeClient> judge_ = std::make_shared<testing::FakeJudgeClient>();
  RecordingObserver observer_;
  absl::Mutex clock_mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
  TierPrices prices_;
  v1::CascadeRequest request_;
  CascadeCall call_;
};

TEST_F(ShadowEvaluatorTest, AnAgreeingAnswerLabelsItsTierRight) {
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  EXPECT_EQ(Count("shadow tier=small outcome=agree policy=default"), 1) << observer_.Text();
  EXPECT_EQ(Count(absl::StrCat("shadow_cost cost_pusd=", kLargeCallPusd)), 1);
  EXPECT_EQ(Count("shadow_exemplar outcome=ok policy=default"), 1);
  // The reference was asked the same conversation, marked as a shadow call.
  ASSERT_EQ(large_->requests().size(), 1u);
  EXPECT_EQ(large_->requests()[0].messages_size(), 2);
  EXPECT_EQ(large_->downstream_calls()[0].request_id, "req-1-shadow");
  // The router learns: the query, the key `routes learn` uses, small's label.
  const auto added = router_->added();
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].first, "default");
  EXPECT_EQ(added[0].second.query(), "What is six times seven?");
  const std::vector<v1::ChatMessage> messages(request_.messages().begin(),
                                              request_.messages().end());
  EXPECT_EQ(added[0].second.key(), Sha256Hex(outcomes::MessagesKey(messages)));
  ASSERT_EQ(added[0].second.tier_quality().size(), 1u);
  EXPECT_EQ(added[0].second.tier_quality().at("small"), 1.0);
}

TEST_F(ShadowEvaluatorTest, ADisagreeingAnswerLabelsItsTierWrong) {
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "The answer is 48."));
  evaluator->WaitIdle();
  EXPECT_EQ(Count("shadow tier=small outcome=disagree"), 1) << observer_.Text();
  ASSERT_EQ(router_->added().size(), 1u);
  EXPECT_EQ(router_->added()[0].second.tier_quality().at("small"), 0.0);
}

TEST_F(ShadowEvaluatorTest, TheJudgeDecidesWhatTheCheapMethodsCannotTell) {
  policy_.shadow->judge = true;
  v1::ScoreResponse equivalent;
  equivalent.set_score(0.95);
  equivalent.set_cost_pusd(500);
  judge_->reply = equivalent;
  auto evaluator = MakeEvaluator();
  // No number in the answer, no word shared with "The answer is 42.": overlap says
  // disagree, which says nothing about meaning.
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "Forty-two."));
  evaluator->WaitIdle();
  ASSERT_EQ(judge_->requests.size(), 1u);
  const v1::ScoreRequest& asked = judge_->requests[0];
  EXPECT_EQ(asked.answer(), "Forty-two.");
  EXPECT_EQ(asked.reference_answer(), "The answer is 42.");
  ASSERT_EQ(asked.methods_size(), 1);
  EXPECT_EQ(asked.methods(0), "equivalence");
  EXPECT_EQ(asked.messages_size(), 2);
  EXPECT_EQ(Count("shadow tier=small outcome=agree"), 1) << observer_.Text();
  EXPECT_EQ(Count("shadow_cost cost_pusd=500 "), 1) << observer_.Text();
  ASSERT_EQ(router_->added().size(), 1u);
  EXPECT_EQ(router_->added()[0].second.tier_quality().at("small"), 1.0);
}

TEST_F(ShadowEvaluatorTest, CheapMethodsThatDecideSpareTheJudge) {
  policy_.shadow->judge = true;
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "It is 48."));  // Numbers.
  evaluator->WaitIdle();
  EXPECT_TRUE(judge_->requests.empty());
  EXPECT_EQ(Count("outcome=disagree"), 1);
}

TEST_F(ShadowEvaluatorTest, WithoutTheJudgeOrWhenItFailsTheCheapVerdictStands) {
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "Forty-two."));
  evaluator->WaitIdle();
  EXPECT_TRUE(judge_->requests.empty());  // shadow.judge is off.
  EXPECT_EQ(Count("outcome=disagree"), 1);

  policy_.shadow->judge = true;  // The judge is down (the double's default reply).
  large_->Enqueue(Answer("large", "The answer is 42.", -0.1, 10, 20, kLargeIn, kLargeOut));
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "Forty-two."));
  evaluator->WaitIdle();
  EXPECT_EQ(judge_->requests.size(), 1u);
  EXPECT_EQ(Count("outcome=disagree"), 2);
  EXPECT_EQ(Count("shadow_cost cost_pusd=0 "), 1) << observer_.Text();
}

TEST_F(ShadowEvaluatorTest, OnlyTextAnswersFromBelowTheShadowTierAreEvaluated) {
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("large", "42"));  // The reference.
  v1::CascadeResponse with_tools = AnsweredBy("small", "");
  with_tools.add_tool_calls()->set_name("lookup");
  evaluator->Offer(policy_, request_, call_, with_tools);
  PolicySettings unshadowed = policy_;
  unshadowed.shadow.reset();
  evaluator->Offer(unshadowed, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  EXPECT_EQ(large_->calls(), 0);
  EXPECT_THAT(observer_.Text(), Not(HasSubstr("shadow")));
}

TEST_F(ShadowEvaluatorTest, SamplesAboutTheConfiguredRate) {
  policy_.shadow->rate = 0.25;
  auto evaluator = MakeEvaluator();
  for (int i = 0; i < 400; ++i) {
    evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
    evaluator->WaitIdle();
  }
  const int sampled = large_->calls();
  EXPECT_GE(sampled, 70);  // 100 expected; the seed is fixed, so this is not flaky.
  EXPECT_LE(sampled, 130);
  EXPECT_EQ(Count("outcome=agree"), sampled);
}

TEST_F(ShadowEvaluatorTest, StopsAtItsHourlyBudgetAndResumesAnHourLater) {
  policy_.shadow->max_pusd_per_hour = 3 * kLargeCallPusd;
  auto evaluator = MakeEvaluator();
  for (int i = 0; i < 10; ++i) {
    evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
    evaluator->WaitIdle();
  }
  EXPECT_EQ(large_->calls(), 3);
  EXPECT_EQ(Count("outcome=agree"), 3);
  EXPECT_EQ(Count("shadow tier=small outcome=over_budget"), 7);
  {
    absl::MutexLock lock(&clock_mu_);
    now_ += absl::Hours(1);
  }
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  EXPECT_EQ(large_->calls(), 4);
}

TEST_F(ShadowEvaluatorTest, OfferNeverWaitsForAShadowCallAndAFullQueueDrops) {
  ShadowEvaluatorOptions options;
  options.workers = 1;
  options.max_pending = 2;
  auto evaluator = MakeEvaluator(options);
  large_->Hold();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  large_->AwaitHeldCalls(1);  // The worker is stuck in the shadow call.
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  // 50 offers while the only worker is blocked: none waited (seconds, not the 60 s
  // call timeout), two queued, the rest dropped.
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(Count("outcome=queue_full"), 48);
  large_->Release();
  evaluator->WaitIdle();
  EXPECT_EQ(large_->calls(), 3);
  EXPECT_EQ(Count("outcome=agree"), 3);
}

TEST_F(ShadowEvaluatorTest, AFailedShadowCallCountsAsAnErrorAndLabelsNothing) {
  large_->Enqueue(absl::UnavailableError("large is down"));  // After the scripted answer.
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  ASSERT_EQ(router_->added().size(), 1u);
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));  // Large fails.
  evaluator->WaitIdle();
  EXPECT_EQ(Count("shadow tier=small outcome=error"), 1) << observer_.Text();
  EXPECT_EQ(Count("shadow_cost cost_pusd=0"), 1);
  EXPECT_EQ(router_->added().size(), 1u);  // Nothing more learned.
}

TEST_F(ShadowEvaluatorTest, AShadowTierWithoutAPriceIsSkippedAndCounted) {
  large_->FailDescribe(true);  // No Describe and no fallback price: the cost is unknown.
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  EXPECT_EQ(Count("shadow tier=small outcome=no_price"), 1) << observer_.Text();
  EXPECT_EQ(large_->calls(), 0);
  EXPECT_TRUE(router_->added().empty());
}

// The decision log's shadow line: what `cascadectl log to-outcomes` reads back.
TEST_F(ShadowEvaluatorTest, EachEvaluationIsADecisionLogLine) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/shadow_decisions_", ::getpid(), ".jsonl");
  std::remove(path.c_str());
  DecisionLogSettings settings;
  settings.path = path;
  settings.include_prompt = true;
  absl::StatusOr<std::unique_ptr<DecisionLog>> log = DecisionLog::Open(settings, &observer_);
  ASSERT_TRUE(log.ok()) << log.status();
  std::shared_ptr<DecisionLog> shared = *std::move(log);
  auto evaluator = MakeEvaluator();
  evaluator->SetDecisionLog(shared);
  v1::CascadeResponse answered = AnsweredBy("small", "The answer is 48.");
  answered.set_model("small-model");
  evaluator->Offer(policy_, request_, call_, answered);
  evaluator->WaitIdle();
  shared->Flush();
  std::ifstream in(path);
  std::string text;
  ASSERT_TRUE(std::getline(in, text));
  const nlohmann::json line = nlohmann::json::parse(text);
  EXPECT_EQ(line["kind"], "shadow");
  EXPECT_EQ(line["request_id"], "req-1");
  EXPECT_EQ(line["policy"], "default");
  EXPECT_EQ(line["tier"], "small");
  EXPECT_EQ(line["model"], "small-model");
  EXPECT_EQ(line["shadow_tier"], "large");
  EXPECT_EQ(line["shadow_model"], "large-model");
  EXPECT_EQ(line["agrees"], false);
  EXPECT_EQ(line["method"], "number");
  EXPECT_EQ(line["cost_pusd"], kLargeCallPusd);
  EXPECT_EQ(line["answer"], "The answer is 48.");
  EXPECT_EQ(line["shadow_answer"], "The answer is 42.");
  EXPECT_EQ(line["messages_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(std::getline(in, text));  // One evaluation, one line.
  std::remove(path.c_str());
}

TEST_F(ShadowEvaluatorTest, ARouterThatRefusesTheExemplarIsCounted) {
  router_->FailAddOutcomes(absl::UnavailableError("router down"));
  auto evaluator = MakeEvaluator();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  evaluator->WaitIdle();
  EXPECT_EQ(Count("outcome=agree"), 1);
  EXPECT_EQ(Count("shadow_exemplar outcome=error policy=default"), 1) << observer_.Text();
}

TEST_F(ShadowEvaluatorTest, DestructionCancelsTheCallInFlight) {
  auto evaluator = MakeEvaluator();
  large_->Hold();
  evaluator->Offer(policy_, request_, call_, AnsweredBy("small", "42"));
  large_->AwaitHeldCalls(1);
  evaluator.reset();  // Returns: the held call saw its cancellation.
  EXPECT_EQ(Count("shadow tier=small outcome=error"), 1);
}

// Through the orchestrator: the request is answered by small at once, the shadow call to
// large runs after, and the cascade's own trace and cost do not include it.
TEST_F(ShadowEvaluatorTest, TheOrchestratorShadowsAcceptedAnswersOffThePath) {
  settings_.policies[0].shadow = policy_.shadow;
  small_->Enqueue(Answer("small", "42", -0.05, 10, 20, kSmallIn, kSmallOut));
  auto observer = std::make_shared<RecordingObserver>();
  Orchestrator orchestrator(
      settings_, {{{"small", small_}, {"large", large_}}, nullptr, nullptr, nullptr}, observer);
  large_->Hold();
  CancellationToken cancellation;
  CascadeCall call;
  call.request_id = "req-2";
  call.cancellation = &cancellation;
  absl::StatusOr<v1::CascadeResponse> response = orchestrator.Complete(request_, call);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->steps_size(), 1);
  EXPECT_EQ(response->cost_pusd(), 10 * kSmallIn + 20 * kSmallOut);
  large_->AwaitHeldCalls(1);  // The shadow call, still running after the answer.
  large_->Release();
}

}  // namespace
}  // namespace cascade::orchestrator
