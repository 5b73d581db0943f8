// A policy's answer cache in front of the cascade: a repeated request is answered without
// asking any tier, at no cost, with the trace saying so; tenants never share answers; a
// sampled request, a request for logprobs and an answer that was not accepted stay out; a
// near-identical question hits only with `semantic`, and the near-miss guard refuses one
// whose number differs; the route the answer was given under picks its threshold; the TTL
// ends an entry; a streamed hit streams its text; with `verify`, the judge decides whether a
// semantic hit is served, and a refused or failed verification is a miss that pays for the
// judge. An embedder that fails leaves exact lookups, and one of no dimension is refused. The
// config refuses values out of range, naming the field (a route's threshold:
// naming the route), and settings that would do nothing without `semantic`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/orchestrator/lib/answer_cache_settings.h"
#include "services/orchestrator/lib/cost_estimate.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using ::testing::Not;

// An embedder of `dimension` whose endpoint is down: every Embed fails.
class DownEmbedder : public router::Embedder {
 public:
  explicit DownEmbedder(size_t dimension) : dimension_(dimension) {}
  size_t dimension() const override { return dimension_; }
  std::string name() const override { return "down"; }
  absl::StatusOr<router::Embeddings> Embed(absl::Span<const std::string>) const override {
    return absl::UnavailableError("embeddings endpoint down");
  }

 private:
  size_t dimension_;
};

constexpr int64_t kSmallIn = 100'000;
constexpr int64_t kSmallOut = 200'000;
constexpr int64_t kLargeIn = 3'000'000;
constexpr int64_t kLargeOut = 10'000'000;

class CachedAnswersTest : public ::testing::Test {
 protected:
  CachedAnswersTest() {
    settings_ = testing::SmallThenLargeSettings();
    settings_.policies[0].cache = CachePolicySettings();
    small_->Enqueue(Answer("small", "Paris.", -0.01, 10, 4, kSmallIn, kSmallOut));
    large_->Enqueue(Answer("large", "Paris, France.", -0.01, 10, 4, kLargeIn, kLargeOut));
  }

  Orchestrator& Make() {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    clients.router = router_;
    clients.judge = judge_;
    clients.cache_embedder = cache_embedder_;
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_,
                                                   [this] { return now_; });
    return *orchestrator_;
  }

  static v1::CascadeRequest Ask(const std::string& question, const std::string& tenant = "acme") {
    v1::CascadeRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content(question);
    request.mutable_params()->set_max_tokens(16);
    request.set_tenant(tenant);
    return request;
  }

  CascadeCall Call() {
    CascadeCall call;
    call.request_id = "req-1";
    call.cancellation = &cancel_;
    return call;
  }

  int TierCalls() { return small_->calls() + large_->calls(); }

  OrchestratorSettings settings_;
  std::shared_ptr<FakeTierClient> small_ =
      std::make_shared<FakeTierClient>("small", kSmallIn, kSmallOut);
  std::shared_ptr<FakeTierClient> large_ =
      std::make_shared<FakeTierClient>("large", kLargeIn, kLargeOut);
  // None unless a test routes.
  std::shared_ptr<testing::FakeRouterClient> router_;
  std::shared_ptr<testing::FakeJudgeClient> judge_ = std::make_shared<testing::FakeJudgeClient>();
  // Null: the hashed embedder.
  std::shared_ptr<const router::Embedder> cache_embedder_;
  std::shared_ptr<testing::RecordingObserver> observer_ =
      std::make_shared<testing::RecordingObserver>();
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  CancellationToken cancel_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(CachedAnswersTest, ARepeatedRequestIsAnsweredWithoutAskingATier) {
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_cache());
  const int calls = TierCalls();
  ASSERT_EQ(calls, 1);

  now_ += absl::Seconds(30);
  auto second = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(TierCalls(), calls);
  EXPECT_EQ(second->answer(), "Paris.");
  EXPECT_EQ(second->final_tier(), "small");
  EXPECT_EQ(second->steps_size(), 0);
  EXPECT_EQ(second->cost_pusd(), 0);
  EXPECT_EQ(second->baseline_cost_pusd(), first->baseline_cost_pusd());
  EXPECT_EQ(second->savings_pusd(), first->baseline_cost_pusd());
  ASSERT_TRUE(second->has_cache());
  EXPECT_EQ(second->cache().kind(), "exact");
  EXPECT_EQ(second->cache().original_cost_pusd(), first->cost_pusd());
  EXPECT_DOUBLE_EQ(second->cache().age_seconds(), 30);
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=miss policy=default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=exact_hit policy=default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_store entries=1"));
  EXPECT_THAT(observer_->Text(), HasSubstr("request route=cache final_tier=small outcome=ok"));
}

TEST_F(CachedAnswersTest, TenantsNeverShareAnswers) {
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?", "acme"), Call()).ok());
  auto other = orchestrator.Complete(Ask("What is the capital of France?", "globex"), Call());
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->has_cache());
  EXPECT_EQ(TierCalls(), 2);
}

TEST_F(CachedAnswersTest, APolicyWithoutACacheNeitherKeepsNorServes) {
  settings_.policies[0].cache.reset();
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call()).ok());
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call()).ok());
  EXPECT_EQ(TierCalls(), 2);
  EXPECT_THAT(observer_->Text(), Not(HasSubstr("cache_")));
}

TEST_F(CachedAnswersTest, SampledRequestsStayOutUnlessThePolicyAllowsThem) {
  Orchestrator& orchestrator = Make();
  v1::CascadeRequest sampled = Ask("Tell me a story");
  sampled.mutable_params()->set_temperature(0.8f);
  ASSERT_TRUE(orchestrator.Complete(sampled, Call()).ok());
  auto again = orchestrator.Complete(sampled, Call());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->has_cache());
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=sampled"));

  // Over HTTP without a temperature, the policy's default (1) applies: sampled too.
  CascadeCall unset = Call();
  unset.temperature_unset = true;
  ASSERT_TRUE(orchestrator.Complete(Ask("Tell me a joke"), unset).ok());
  ASSERT_FALSE(orchestrator.Complete(Ask("Tell me a joke"), unset)->has_cache());
  EXPECT_EQ(TierCalls(), 4);

  settings_.policies[0].cache->allow_sampled = true;
  Orchestrator& allowing = Make();
  ASSERT_TRUE(allowing.Complete(sampled, Call()).ok());
  EXPECT_TRUE(allowing.Complete(sampled, Call())->has_cache());
}

TEST_F(CachedAnswersTest, ARequestForLogprobsIsNotServedFromCache) {
  Orchestrator& orchestrator = Make();
  v1::CascadeRequest request = Ask("What is the capital of France?");
  request.mutable_params()->set_logprobs(true);
  ASSERT_TRUE(orchestrator.Complete(request, Call()).ok());
  EXPECT_FALSE(orchestrator.Complete(request, Call())->has_cache());
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=logprobs"));
}

TEST_F(CachedAnswersTest, AnAnswerThatWasNotAcceptedIsNotKept) {
  // The climb stops at max_tier small with an answer small's rule rejected.
  small_ = std::make_shared<FakeTierClient>("small", kSmallIn, kSmallOut);
  small_->Enqueue(Answer("small", "Lyon?", -3.0, 10, 4, kSmallIn, kSmallOut));
  Orchestrator& orchestrator = Make();
  v1::CascadeRequest capped = Ask("What is the capital of France?");
  capped.set_max_tier("small");
  auto first = orchestrator.Complete(capped, Call());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->stopped_reason().empty());
  auto second = orchestrator.Complete(capped, Call());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->has_cache());
  EXPECT_EQ(TierCalls(), 2);
  EXPECT_THAT(observer_->Text(), Not(HasSubstr("cache_store")));
}

TEST_F(CachedAnswersTest, ANearIdenticalQuestionHitsOnlyWithSemanticAndTheGuardHolds) {
  Orchestrator& exact_only = Make();
  ASSERT_TRUE(exact_only.Complete(Ask("What is the capital of France?"), Call()).ok());
  EXPECT_FALSE(exact_only.Complete(Ask("what is the capital of France"), Call())->has_cache());

  settings_.policies[0].cache->semantic = true;
  settings_.policies[0].cache->similarity_threshold = 0.8;
  Orchestrator& semantic = Make();
  ASSERT_TRUE(semantic.Complete(Ask("How many days are in 3 weeks?"), Call()).ok());
  auto near = semantic.Complete(Ask("how many days are in 3 weeks"), Call());
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_TRUE(near->has_cache());
  EXPECT_EQ(near->cache().kind(), "semantic");
  EXPECT_GE(near->cache().similarity(), 0.8);
  auto other_number = semantic.Complete(Ask("How many days are in 5 weeks?"), Call());
  ASSERT_TRUE(other_number.ok()) << other_number.status();
  EXPECT_FALSE(other_number->has_cache());
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=miss refused_by=numbers"));
}

// The entry keeps the route its answer was given under, and that route's threshold decides
// a later semantic hit: stricter than the policy's, a hit becomes a miss; looser, a miss a
// hit. The lookup itself runs before routing.
TEST_F(CachedAnswersTest, TheRouteOfTheCachedAnswerPicksItsThreshold) {
  const std::string asked = "How many days are in 3 weeks?";
  const std::string near = "how many days are there in 3 weeks";
  router_ = std::make_shared<testing::FakeRouterClient>();
  v1::RouteDecision decision;
  decision.set_route("arithmetic");
  router_->decision = decision;
  CachePolicySettings& cache = *settings_.policies[0].cache;
  cache.semantic = true;
  cache.similarity_threshold = 0.5;
  Orchestrator& probe = Make();
  auto first = probe.Complete(Ask(asked), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->route(), "arithmetic");
  auto probed = probe.Complete(Ask(near), Call());
  ASSERT_TRUE(probed.ok() && probed->has_cache());
  const double similarity = probed->cache().similarity();
  ASSERT_LT(similarity, 0.99);

  cache.route_similarity_thresholds = {{"arithmetic", similarity + 0.005}};
  Orchestrator& strict = Make();
  ASSERT_TRUE(strict.Complete(Ask(asked), Call()).ok());
  auto missed = strict.Complete(Ask(near), Call());
  ASSERT_TRUE(missed.ok()) << missed.status();
  EXPECT_FALSE(missed->has_cache());
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=miss refused_by=similarity"));

  cache.similarity_threshold = similarity + 0.005;
  cache.route_similarity_thresholds = {{"arithmetic", similarity - 0.005}};
  Orchestrator& loose = Make();
  ASSERT_TRUE(loose.Complete(Ask(asked), Call()).ok());
  const int calls = TierCalls();
  auto hit = loose.Complete(Ask(near), Call());
  ASSERT_TRUE(hit.ok()) << hit.status();
  ASSERT_TRUE(hit->has_cache());
  EXPECT_EQ(hit->cache().kind(), "semantic");
  EXPECT_EQ(hit->route(), "arithmetic");
  EXPECT_EQ(TierCalls(), calls);

  // The same question answered under another route keeps the policy's threshold.
  decision.set_route("chit-chat");
  router_->decision = decision;
  ASSERT_TRUE(loose.Complete(Ask(asked, "globex"), Call()).ok());
  EXPECT_FALSE(loose.Complete(Ask(near, "globex"), Call())->has_cache());
}

class VerifiedCacheTest : public CachedAnswersTest {
 protected:
  VerifiedCacheTest() {
    CachePolicySettings& cache = *settings_.policies[0].cache;
    cache.semantic = true;
    cache.similarity_threshold = 0.8;
    cache.verify = CacheVerifySettings{0.5, {"llm"}, absl::Seconds(2)};
    small_->Enqueue(Answer("small", "21 days.", -0.01, 10, 4, kSmallIn, kSmallOut));
  }

  void JudgeScores(double score, int64_t cost_pusd) {
    v1::ScoreResponse reply;
    reply.set_score(score);
    reply.set_cost_pusd(cost_pusd);
    judge_->reply = reply;
  }
};

TEST_F(VerifiedCacheTest, AVerifiedSemanticHitIsServedAtTheJudgesCost) {
  JudgeScores(0.9, 5000);
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("How many days are in 3 weeks?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(judge_->requests.empty());

  CascadeCall call = Call();
  call.deadline = now_ + absl::Seconds(30);
  auto near = orchestrator.Complete(Ask("how many days are in 3 weeks"), call);
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_TRUE(near->has_cache());
  EXPECT_EQ(near->cache().kind(), "semantic");
  EXPECT_EQ(near->answer(), "Paris.");
  EXPECT_EQ(TierCalls(), 1);
  EXPECT_DOUBLE_EQ(near->cache().verification_score(), 0.9);
  EXPECT_EQ(near->cache().verification_cost_pusd(), 5000);
  EXPECT_EQ(near->cost_pusd(), 5000);
  EXPECT_EQ(near->savings_pusd(), first->baseline_cost_pusd() - 5000);
  // The judge read the new question with the kept answer, within verify.timeout.
  ASSERT_EQ(judge_->requests.size(), 1u);
  EXPECT_EQ(judge_->requests[0].messages(0).content(), "how many days are in 3 weeks");
  EXPECT_EQ(judge_->requests[0].answer(), "Paris.");
  ASSERT_EQ(judge_->requests[0].methods_size(), 1);
  EXPECT_EQ(judge_->requests[0].methods(0), "llm");
  EXPECT_EQ(judge_->deadlines[0], now_ + absl::Seconds(2));
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=semantic_hit policy=default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("cost route=cache cost_pusd=5000 "));

  // An exact hit is the same question: not verified, free.
  auto exact = orchestrator.Complete(Ask("How many days are in 3 weeks?"), Call());
  ASSERT_TRUE(exact.ok() && exact->has_cache());
  EXPECT_EQ(exact->cache().kind(), "exact");
  EXPECT_FALSE(exact->cache().has_verification_score());
  EXPECT_EQ(exact->cost_pusd(), 0);
  EXPECT_EQ(judge_->requests.size(), 1u);
}

TEST_F(VerifiedCacheTest, AVerificationBelowTheMinimumIsAMissThatPaysForTheJudge) {
  JudgeScores(0.2, 5000);
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("How many days are in 3 weeks?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  // A client deadline sooner than verify.timeout bounds the judge instead.
  CascadeCall call = Call();
  call.deadline = now_ + absl::Milliseconds(500);
  auto near = orchestrator.Complete(Ask("how many days are in 3 weeks"), call);
  ASSERT_TRUE(near.ok()) << near.status();
  EXPECT_FALSE(near->has_cache());
  EXPECT_EQ(near->answer(), "21 days.");
  EXPECT_EQ(TierCalls(), 2);
  ASSERT_EQ(judge_->requests.size(), 1u);
  EXPECT_EQ(judge_->deadlines[0], now_ + absl::Milliseconds(500));
  // Same tokens as the first answer, plus the judge.
  EXPECT_EQ(near->cost_pusd(), first->cost_pusd() + 5000);
  EXPECT_EQ(near->savings_pusd(), first->savings_pusd() - 5000);
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_lookup outcome=miss refused_by=verification"));
}

// The judge call that refused the hit was made for this request, so it is paid from the
// request's budget: a budget that covers the small tier alone no longer covers it after the
// judge. (The budget is part of what a hit must share, so both requests carry it.)
TEST_F(VerifiedCacheTest, ARefusedVerificationIsPaidFromTheBudget) {
  JudgeScores(0.2, 5000);
  Orchestrator& orchestrator = Make();
  v1::CascadeRequest first = Ask("how many days are in 3 weeks");  // 7 prompt tokens
  v1::CascadeRequest near = Ask("How many days are in 3 weeks?");  // 8
  const int64_t small_expected = ExpectedCostPusd(near, TierPrice{kSmallIn, kSmallOut});
  first.set_budget_pusd(small_expected + 4000);
  near.set_budget_pusd(small_expected + 4000);
  ASSERT_TRUE(orchestrator.Complete(first, Call()).ok());
  auto refused = orchestrator.Complete(near, Call());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("exceeds the budget left (", small_expected - 1000, ")")));
  EXPECT_EQ(judge_->requests.size(), 1u);
  EXPECT_EQ(TierCalls(), 1);

  // The same budget pays for the small tier when no judge was asked (the near-miss guard
  // refuses another number before any verification).
  v1::CascadeRequest other = Ask("How many days are in 5 weeks?");
  other.set_budget_pusd(small_expected + 4000);
  auto answered = orchestrator.Complete(other, Call());
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->answer(), "21 days.");
  EXPECT_EQ(judge_->requests.size(), 1u);
}

TEST_F(VerifiedCacheTest, AJudgeThatGivesNoScoreRefusesTheHitAndSaysSo) {
  judge_->reply = absl::UnavailableError("judge down");
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("How many days are in 3 weeks?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  ::testing::internal::CaptureStderr();
  auto near = orchestrator.Complete(Ask("how many days are in 3 weeks"), Call());
  const std::string logged = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(near.ok()) << near.status();
  EXPECT_FALSE(near->has_cache());
  EXPECT_EQ(near->answer(), "21 days.");
  EXPECT_EQ(near->cost_pusd(), first->cost_pusd());
  EXPECT_THAT(observer_->Text(),
              HasSubstr("cache_lookup outcome=miss refused_by=verification_error"));
  EXPECT_THAT(logged, HasSubstr("answer_cache_verification_failed"));
  EXPECT_THAT(logged, HasSubstr("judge down"));
}

// The embedder fails (an endpoint down): lookups and inserts are exact only, each failed
// lookup is reported, and the request is answered by the cascade.
TEST_F(CachedAnswersTest, AnEmbedderThatFailsLeavesExactLookupsAndIsCounted) {
  settings_.policies[0].cache->semantic = true;
  small_->Enqueue(Answer("small", "Paris.", -0.01, 10, 4, kSmallIn, kSmallOut));
  cache_embedder_ = std::make_shared<DownEmbedder>(8);
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_cache());
  auto repeated = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  ASSERT_TRUE(repeated->has_cache());
  EXPECT_EQ(repeated->cache().kind(), "exact");
  // A near-identical question would hit on vectors; without them it is asked again.
  auto near = orchestrator.Complete(Ask("what is the capital of france"), Call());
  ASSERT_TRUE(near.ok()) << near.status();
  EXPECT_FALSE(near->has_cache());
  EXPECT_EQ(TierCalls(), 2);
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_embedding_error policy=default"));
}

TEST(CachedAnswersCreateTest, AnEmbedderOfNoDimensionIsRefusedNamingTheSetting) {
  auto created = CachedAnswers::Create(
      AnswerCacheStoreSettings(), std::make_shared<DownEmbedder>(0), [] { return absl::Now(); });
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(created.status().message(), HasSubstr("answer_cache.openai_embedder.dimensions"));
  EXPECT_TRUE(
      CachedAnswers::Create(AnswerCacheStoreSettings(), std::make_shared<DownEmbedder>(8), [] {
        return absl::Now();
      }).ok());
}

TEST_F(CachedAnswersTest, AnEntryEndsWithItsTtl) {
  settings_.policies[0].cache->ttl = absl::Minutes(10);
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call()).ok());
  now_ += absl::Minutes(9);
  EXPECT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call())->has_cache());
  now_ += absl::Minutes(2);
  EXPECT_FALSE(orchestrator.Complete(Ask("What is the capital of France?"), Call())->has_cache());
  EXPECT_EQ(TierCalls(), 2);
}

// An answer larger than the whole store is refused by it: logged, not kept, and the
// request it answered is unharmed.
TEST_F(CachedAnswersTest, AnAnswerTheStoreRefusesIsServedAndNotKept) {
  settings_.answer_cache.max_bytes = 64;
  Orchestrator& orchestrator = Make();
  auto first = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->answer(), "Paris.");
  auto second = orchestrator.Complete(Ask("What is the capital of France?"), Call());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->has_cache());
  EXPECT_EQ(TierCalls(), 2);
  EXPECT_THAT(observer_->Text(), Not(HasSubstr("cache_store")));
}

TEST_F(CachedAnswersTest, AFullStoreEvictsAndReportsIt) {
  settings_.answer_cache.max_entries = 1;
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call()).ok());
  EXPECT_THAT(observer_->Last("cache_store"), HasSubstr("entries=1 "));
  EXPECT_THAT(observer_->Last("cache_store"), HasSubstr("removed=0"));
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of Spain?"), Call()).ok());
  EXPECT_THAT(observer_->Last("cache_store"), HasSubstr("entries=1 "));
  EXPECT_THAT(observer_->Last("cache_store"), HasSubstr("removed=1"));
  EXPECT_FALSE(orchestrator.Complete(Ask("What is the capital of France?"), Call())->has_cache());
}

TEST_F(CachedAnswersTest, AStreamedHitStreamsItsText) {
  Orchestrator& orchestrator = Make();
  ASSERT_TRUE(orchestrator.Complete(Ask("What is the capital of France?"), Call()).ok());
  std::string streamed;
  CascadeCall call = Call();
  call.on_text = [&streamed](absl::string_view text, const TokenLogprobs&) {
    streamed.append(text.data(), text.size());
  };
  auto hit = orchestrator.Complete(Ask("What is the capital of France?"), call);
  ASSERT_TRUE(hit.ok()) << hit.status();
  EXPECT_TRUE(hit->has_cache());
  EXPECT_EQ(streamed, "Paris.");
}

TEST(AnswerCacheSettingsTest, OutOfRangeValuesAreRefusedNamingTheField) {
  v1::AnswerCachePolicyConfig config;
  EXPECT_FALSE(CachePolicyFromConfig(config, "policies[0].cache")->has_value());
  config.set_enabled(true);
  auto defaults = CachePolicyFromConfig(config, "policies[0].cache");
  ASSERT_TRUE(defaults.ok() && defaults->has_value());
  EXPECT_DOUBLE_EQ((*defaults)->similarity_threshold, 0.70);
  EXPECT_EQ((*defaults)->ttl, absl::Hours(24));
  EXPECT_FALSE((*defaults)->semantic);

  v1::AnswerCachePolicyConfig bad = config;
  bad.set_similarity_threshold(1.5);
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("policies[0].cache.similarity_threshold 1.5 must be in (0, 1]"));
  bad = config;
  bad.mutable_ttl()->set_seconds(0);
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("policies[0].cache.ttl"));
  bad = config;
  bad.add_disable_guards("dates");
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("unknown guard 'dates'"));
  bad = config;
  (*bad.mutable_route_similarity_thresholds())["weather"] = 0.9;
  (*bad.mutable_route_similarity_thresholds())["math"] = 0;
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("policies[0].cache.route_similarity_thresholds[math] 0 must be in (0, 1]"));
  (*bad.mutable_route_similarity_thresholds())["math"] = 1.01;
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("route_similarity_thresholds[math] 1.01 must be in (0, 1]"));
  bad = config;
  (*bad.mutable_route_similarity_thresholds())[""] = 0.9;
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[0].cache").status().message(),
              HasSubstr("route_similarity_thresholds: a route name is empty"));
  // Any other name is taken: the orchestrator learns routes from its answers only.
  v1::AnswerCachePolicyConfig routed = config;
  routed.set_semantic(true);
  (*routed.mutable_route_similarity_thresholds())["weather"] = 0.9;
  (*routed.mutable_route_similarity_thresholds())["not-a-route-yet"] = 1;
  auto per_route = CachePolicyFromConfig(routed, "policies[0].cache");
  ASSERT_TRUE(per_route.ok()) << per_route.status();
  EXPECT_DOUBLE_EQ((*per_route)->route_similarity_thresholds.at("weather"), 0.9);
  EXPECT_DOUBLE_EQ((*per_route)->route_similarity_thresholds.at("not-a-route-yet"), 1);
  EXPECT_DOUBLE_EQ((*per_route)->similarity_threshold, 0.70);

  bad = config;
  bad.add_disable_guards("numbers");
  auto unguarded = CachePolicyFromConfig(bad, "policies[0].cache");
  ASSERT_TRUE(unguarded.ok());
  EXPECT_FALSE((*unguarded)->guard.check_numbers);

  // Settings that only semantic hits use do nothing without `semantic`: refused.
  routed.set_semantic(false);
  EXPECT_THAT(CachePolicyFromConfig(routed, "policies[0].cache").status().message(),
              HasSubstr("policies[0].cache.route_similarity_thresholds apply to semantic hits"));

  v1::AnswerCacheConfig store;
  store.set_max_entries(0);
  EXPECT_THAT(AnswerCacheStoreFromConfig(store).status().message(),
              HasSubstr("answer_cache.max_entries 0"));
  store.set_max_entries(10);
  store.set_max_mib(70000);
  EXPECT_THAT(AnswerCacheStoreFromConfig(store).status().message(),
              HasSubstr("answer_cache.max_mib 70000"));

  // An endpoint's vectors need their length known from the start.
  store.set_max_mib(10);
  store.mutable_openai_embedder()->set_base_url("http://127.0.0.1:1/v1");
  store.mutable_openai_embedder()->set_model("embed");
  EXPECT_THAT(AnswerCacheStoreFromConfig(store).status().message(),
              HasSubstr("answer_cache.openai_embedder.dimensions must be set"));
  store.mutable_openai_embedder()->set_dimensions(64);
  EXPECT_TRUE(AnswerCacheStoreFromConfig(store).ok());
}

TEST(AnswerCacheSettingsTest, VerifyNeedsAMinimumAndSemanticHits) {
  v1::AnswerCachePolicyConfig config;
  config.set_enabled(true);
  config.set_semantic(true);
  config.mutable_verify();
  EXPECT_THAT(CachePolicyFromConfig(config, "policies[1].cache").status().message(),
              HasSubstr("policies[1].cache.verify.min must be set and in [0, 1]"));
  config.mutable_verify()->set_min(1.5);
  EXPECT_THAT(CachePolicyFromConfig(config, "policies[1].cache").status().message(),
              HasSubstr("policies[1].cache.verify.min must be set"));
  config.mutable_verify()->set_min(0.7);
  auto defaults = CachePolicyFromConfig(config, "policies[1].cache");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  ASSERT_TRUE((*defaults)->verify.has_value());
  EXPECT_DOUBLE_EQ((*defaults)->verify->min, 0.7);
  EXPECT_EQ((*defaults)->verify->methods, std::vector<std::string>{"llm"});
  EXPECT_EQ((*defaults)->verify->timeout, absl::Seconds(2));

  v1::AnswerCachePolicyConfig bad = config;
  bad.mutable_verify()->add_methods("logprob");
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[1].cache").status().message(),
              HasSubstr("'logprob' cannot verify a kept answer"));
  bad = config;
  bad.mutable_verify()->mutable_timeout()->set_seconds(61);
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[1].cache").status().message(),
              HasSubstr("policies[1].cache.verify.timeout 1m1s must be from 10ms to 60s"));
  bad = config;
  bad.set_semantic(false);
  EXPECT_THAT(CachePolicyFromConfig(bad, "policies[1].cache").status().message(),
              HasSubstr("policies[1].cache.verify checks semantic hits"));
}

}  // namespace
}  // namespace cascade::orchestrator
