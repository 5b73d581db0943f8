// cascadectl policy eval's arithmetic: the recorded ladder through the orchestrator's own
// cascade gives, query by query, the tier the recorded signals imply, its quality and the
// exact cost (self-checks included), against the top model alone.

#include "tools/policy/policy_evaluation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/config/config_loader.h"

namespace cascade::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

const std::string kData = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/";

class PolicyEvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto records = outcomes::ReadOutcomesFile(kData + "self_check_ladder.jsonl");
    ASSERT_TRUE(records.ok()) << records.status();
    records_ = *std::move(records);
    auto prices = outcomes::ReadPricesFile(kData + "prices.yaml");
    ASSERT_TRUE(prices.ok()) << prices.status();
    prices_ = *std::move(prices);
  }

  static v1::CascadePolicyConfig Policy(const std::string& yaml) {
    v1::CascadePolicyConfig policy;
    absl::Status parsed = ParseConfigYaml(yaml, "policy.yaml", &policy);
    EXPECT_TRUE(parsed.ok()) << parsed;
    return policy;
  }

  // What the recorded signals imply, computed here without the orchestrator: the tier that
  // answers each query and what the climb cost.
  void Expect(std::vector<std::string>& finals, int64_t& cost, int64_t& top_cost, double& quality) {
    quality = 0;
    for (const auto& record : records_) {
      const auto& tiny = *record.Find("tiny");
      const auto& mid = *record.Find("mid");
      const auto& top = *record.Find("top");
      int64_t spent =
          prices_["tiny"].CostPusd(tiny.usage) + prices_["tiny"].CostPusd(tiny.self_check->usage);
      const outcomes::ModelOutcome* final_answer = &tiny;
      std::string final_tier = "tiny";
      if (tiny.self_check->p_yes < 0.8) {
        spent += prices_["mid"].CostPusd(mid.usage);
        double sum = 0;
        for (const auto& token : mid.logprobs) sum += token.logprob();
        final_answer = &mid;
        final_tier = "mid";
        if (sum / mid.logprobs.size() < -0.5) {
          spent += prices_["top"].CostPusd(top.usage);
          final_answer = &top;
          final_tier = "top";
        }
      }
      finals.push_back(final_tier);
      cost += spent;
      top_cost += prices_["top"].CostPusd(top.usage);
      quality += *final_answer->correct ? 1 : 0;
    }
    quality /= records_.size();
  }

  std::vector<outcomes::OutcomeRecord> records_;
  std::map<std::string, outcomes::ModelPrice> prices_;
};

constexpr char kLadder[] = R"(
name: checked
tiers:
  - {tier: tiny, accept: {self_check: {min: 0.8}}}
  - {tier: mid, accept: {logprob: {aggregate: mean, min: -0.5}}}
  - {tier: top}
)";

TEST_F(PolicyEvaluationTest, TheOrchestratorsArithmeticOnEveryRecordedQuery) {
  auto evaluation = EvaluatePolicy(records_, prices_, Policy(kLadder));
  ASSERT_TRUE(evaluation.ok()) << evaluation.status();
  std::vector<std::string> finals;
  int64_t cost = 0, top_cost = 0;
  double quality = 0;
  Expect(finals, cost, top_cost, quality);
  EXPECT_EQ(evaluation->queries, 8);
  EXPECT_EQ(evaluation->graded, 8);
  EXPECT_EQ(evaluation->top_model, "top");
  EXPECT_EQ(evaluation->cost_pusd, cost);
  EXPECT_EQ(evaluation->top_cost_pusd, top_cost);
  EXPECT_DOUBLE_EQ(evaluation->quality(), quality);
  EXPECT_DOUBLE_EQ(evaluation->top_quality(), 1.0);  // The fixture's top model is always right.
  EXPECT_THAT(evaluation->final_tiers,
              ::testing::ElementsAre(Pair("tiny", std::count(finals.begin(), finals.end(), "tiny")),
                                     Pair("mid", std::count(finals.begin(), finals.end(), "mid")),
                                     Pair("top", std::count(finals.begin(), finals.end(), "top"))));
  // Each way out of the ladder is taken.
  EXPECT_THAT(
      evaluation->final_tiers,
      ::testing::Each(::testing::Field(&std::pair<std::string, int>::second, ::testing::Gt(0))));
  EXPECT_TRUE(evaluation->errors.empty());
}

TEST_F(PolicyEvaluationTest, TiersCanBeNamedApartFromTheirModels) {
  auto evaluation = EvaluatePolicy(records_, prices_, Policy(R"(
name: renamed
tiers:
  - {tier: small, accept: {self_check: {min: 0.8}}}
  - {tier: medium, accept: {logprob: {aggregate: mean, min: -0.5}}}
  - {tier: large}
)"),
                                   {{"small", "tiny"}, {"medium", "mid"}, {"large", "top"}});
  ASSERT_TRUE(evaluation.ok()) << evaluation.status();
  auto same = EvaluatePolicy(records_, prices_, Policy(kLadder));
  EXPECT_EQ(evaluation->cost_pusd, same->cost_pusd);
  EXPECT_EQ(evaluation->final_tiers[0].first, "small");
  EXPECT_EQ(evaluation->final_tiers[0].second, same->final_tiers[0].second);
}

constexpr char kByEstimate[] = R"(
name: estimated
tiers:
  - tier: tiny
    accept:
      calibrated:
        min_probability: 0.5
        weights: [{signal: router_estimate_log_odds, weight: 1}]
  - {tier: top}
)";

TEST_F(PolicyEvaluationTest, ARuleOnTheRoutersEstimateUsesTheRecordedEstimates) {
  // The estimate knows which tiny answers are right: exactly those stop at tiny, and nothing
  // is paid for a self-check the rule does not need.
  int64_t cost = 0;
  int right = 0;
  for (auto& record : records_) {
    for (auto& [model, outcome] : record.models) {
      if (model == "tiny") outcome.router_estimate = *outcome.correct ? 0.9 : 0.1;
    }
    const auto& tiny = *record.Find("tiny");
    cost += prices_["tiny"].CostPusd(tiny.usage);
    if (*tiny.correct) {
      ++right;
    } else {
      cost += prices_["top"].CostPusd(record.Find("top")->usage);
    }
  }
  ASSERT_GT(right, 0);
  ASSERT_LT(right, static_cast<int>(records_.size()));
  auto evaluation = EvaluatePolicy(records_, prices_, Policy(kByEstimate));
  ASSERT_TRUE(evaluation.ok()) << evaluation.status();
  EXPECT_THAT(evaluation->final_tiers[0], Pair("tiny", right));
  EXPECT_EQ(evaluation->cost_pusd, cost);
  EXPECT_DOUBLE_EQ(evaluation->quality(), 1.0);
  EXPECT_TRUE(evaluation->errors.empty());
}

TEST_F(PolicyEvaluationTest, ARuleOnTheRoutersEstimateUsesTheEstimatorItIsGiven) {
  // Exemplars that say tiny is always wrong: the estimator's low estimate sends every query
  // to the top model, whatever the records say.
  std::vector<router::OutcomeExemplar> exemplars;
  for (const auto& record : records_) {
    exemplars.push_back({record.messages.back().content(), record.id, {{"tiny", 0.0}, {"top", 1}}});
  }
  auto estimator = router::TierSuccessEstimator::Build(exemplars, router::TierEstimatorOptions{});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  auto evaluation =
      EvaluatePolicy(records_, prices_, Policy(kByEstimate), {}, *std::move(estimator));
  ASSERT_TRUE(evaluation.ok()) << evaluation.status();
  EXPECT_THAT(evaluation->final_tiers[0], Pair("tiny", 0));
  EXPECT_THAT(evaluation->final_tiers[1], Pair("top", static_cast<int>(records_.size())));
}

TEST_F(PolicyEvaluationTest, ARuleOnTheRoutersEstimateWithoutEstimatesIsRefused) {
  auto evaluation = EvaluatePolicy(records_, prices_, Policy(kByEstimate));
  EXPECT_EQ(evaluation.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(evaluation.status().message(), HasSubstr("--exemplars"));
}

TEST_F(PolicyEvaluationTest, TheTopModelAloneCostsExactlyItsRecordedUsage) {
  auto alone = EvaluatePolicy(records_, prices_, Policy("name: top\ntiers: [{tier: top}]\n"));
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(alone->cost_pusd, alone->top_cost_pusd);
  EXPECT_DOUBLE_EQ(alone->cost_ratio(), 1.0);
  EXPECT_DOUBLE_EQ(alone->quality(), alone->top_quality());
}

TEST_F(PolicyEvaluationTest, MistakesAreNamed) {
  EXPECT_THAT(EvaluatePolicy(records_, prices_, Policy("name: p\ntiers: [{tier: huge}]\n"))
                  .status()
                  .message(),
              HasSubstr("no price for model 'huge'"));
  auto prices = prices_;
  prices["ghost"] = outcomes::ModelPrice{1, 1};
  EXPECT_EQ(
      EvaluatePolicy(records_, prices, Policy("name: p\ntiers: [{tier: ghost}]\n")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  auto bad_rule = EvaluatePolicy(records_, prices_, Policy(R"(
name: p
tiers:
  - {tier: tiny, accept: {logprob: {min: 0.5}}}
  - {tier: top}
)"));
  EXPECT_EQ(bad_rule.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_rule.status().message(), HasSubstr("tiers[0].accept.logprob.min"));
}

}  // namespace
}  // namespace cascade::policy
