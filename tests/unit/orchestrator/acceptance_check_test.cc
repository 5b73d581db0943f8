// The acceptance rules alone: the logprob aggregate, the tier's self-check P(yes), the
// calibrated map of several signals and the judge, combined with "and" / "or", cheapest first; the
// judge is called only when its verdict can still change the outcome; a missing signal rejects with
// the reason said.

#include "services/orchestrator/lib/acceptance_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "services/orchestrator/lib/testing/fake_clients.h"

namespace cascade::orchestrator {
namespace {

using testing::FakeJudgeClient;
using ::testing::HasSubstr;

v1::CompleteResponse AnswerWith(double logprob, std::optional<double> p_yes) {
  v1::CompleteResponse answer;
  answer.set_tier("small");
  answer.set_text("Paris");
  auto* token = answer.add_logprobs();
  token->set_token("Paris");
  token->set_logprob(logprob);
  if (p_yes) {
    answer.mutable_self_check()->set_p_yes(*p_yes);
    answer.mutable_self_check()->set_source("logprobs");
  }
  return answer;
}

AcceptanceRule SelfCheckRule(double min) {
  AcceptanceRule rule;
  rule.self_check_min = min;
  return rule;
}

AcceptanceRule WithLogprob(AcceptanceRule rule, double min) {
  rule.logprob = *LogprobConfidence::Parse("mean");
  rule.logprob_min = min;
  return rule;
}

AcceptanceRule WithJudge(AcceptanceRule rule, double min) {
  rule.judge_min = min;
  rule.judge_methods = {"llm"};
  return rule;
}

class AcceptanceCheckTest : public ::testing::Test {
 protected:
  AcceptanceCheckTest() {
    v1::ScoreResponse score;
    score.set_score(0.9);
    score.set_cost_pusd(777);
    judge_.reply = score;
  }

  AcceptanceResult Check(const AcceptanceRule& rule, const v1::CompleteResponse& answer,
                         std::optional<double> threshold_override = std::nullopt,
                         std::optional<double> router_estimate = std::nullopt) {
    return AcceptanceCheck(&judge_).Check(rule, v1::CascadeRequest(), answer, router_estimate,
                                          threshold_override, DownstreamCall{});
  }

  FakeJudgeClient judge_;
};

TEST_F(AcceptanceCheckTest, SelfCheckAcceptsAtOrAboveItsMinimum) {
  AcceptanceResult high = Check(SelfCheckRule(0.8), AnswerWith(-3, 0.8));
  EXPECT_TRUE(high.accepted);
  EXPECT_EQ(high.method, "self_check");
  EXPECT_DOUBLE_EQ(high.confidence, 0.8);
  EXPECT_DOUBLE_EQ(*high.self_check_score, 0.8);
  EXPECT_FALSE(high.logprob_score.has_value());

  AcceptanceResult low = Check(SelfCheckRule(0.8), AnswerWith(-0.01, 0.79));
  EXPECT_FALSE(low.accepted);
  EXPECT_EQ(low.reason, "self_check");
  EXPECT_EQ(low.error, "");
}

TEST_F(AcceptanceCheckTest, AMissingOrFailedSelfCheckRejectsAndSaysWhy) {
  AcceptanceResult missing = Check(SelfCheckRule(0.1), AnswerWith(-0.01, std::nullopt));
  EXPECT_FALSE(missing.accepted);
  EXPECT_EQ(missing.reason, "self_check");
  EXPECT_THAT(missing.error, HasSubstr("returned no self-check"));

  v1::CompleteResponse failed = AnswerWith(-0.01, 0.99);
  failed.mutable_self_check()->set_error("UNAVAILABLE: upstream down");
  AcceptanceResult result = Check(SelfCheckRule(0.1), failed);
  EXPECT_FALSE(result.accepted);
  EXPECT_THAT(result.error, HasSubstr("self_check: UNAVAILABLE: upstream down"));
}

TEST_F(AcceptanceCheckTest, AndNeedsEveryRuleOrNeedsOne) {
  const AcceptanceRule both = WithLogprob(SelfCheckRule(0.8), -0.5);
  // Logprob passes (-0.1 >= -0.5), self-check fails.
  AcceptanceResult and_result = Check(both, AnswerWith(-0.1, 0.5));
  EXPECT_FALSE(and_result.accepted);
  EXPECT_EQ(and_result.method, "logprob:mean+self_check");
  EXPECT_EQ(and_result.reason, "self_check");
  EXPECT_DOUBLE_EQ(and_result.confidence, 0.5);  // The least of exp(-0.1) and 0.5.

  AcceptanceRule either = both;
  either.combine_or = true;
  AcceptanceResult or_result = Check(either, AnswerWith(-0.1, 0.5));
  EXPECT_TRUE(or_result.accepted);
  EXPECT_EQ(or_result.method, "logprob:mean|self_check");
  EXPECT_NEAR(or_result.confidence, std::exp(-0.1), 1e-12);  // The greatest.

  AcceptanceResult neither = Check(either, AnswerWith(-2, 0.5));
  EXPECT_FALSE(neither.accepted);
  EXPECT_EQ(neither.reason, "self_check");
}

TEST_F(AcceptanceCheckTest, TheJudgeIsCalledOnlyWhenItCanChangeTheVerdict) {
  // "and": a failing self-check makes the judge pointless.
  Check(WithJudge(SelfCheckRule(0.8), 0.5), AnswerWith(-0.1, 0.2));
  EXPECT_TRUE(judge_.requests.empty());
  // "or": a passing self-check does too.
  AcceptanceRule either = WithJudge(SelfCheckRule(0.8), 0.5);
  either.combine_or = true;
  EXPECT_TRUE(Check(either, AnswerWith(-0.1, 0.95)).accepted);
  EXPECT_TRUE(judge_.requests.empty());
  // Otherwise it runs and its cost counts.
  AcceptanceResult judged = Check(WithJudge(SelfCheckRule(0.8), 0.5), AnswerWith(-0.1, 0.95));
  EXPECT_EQ(judge_.requests.size(), 1u);
  EXPECT_TRUE(judged.accepted);
  EXPECT_EQ(judged.method, "self_check+judge");
  EXPECT_EQ(judged.judge_cost_pusd, 777);
}

TEST_F(AcceptanceCheckTest, AThresholdOverrideReplacesTheSelfCheckMinimum) {
  EXPECT_FALSE(Check(SelfCheckRule(0.5), AnswerWith(-0.1, 0.7), 0.9).accepted);
  EXPECT_TRUE(Check(SelfCheckRule(0.95), AnswerWith(-0.1, 0.96), 0.9).accepted);
}

AcceptanceRule CalibratedRule(double min_probability, double intercept,
                              std::vector<std::pair<std::string, double>> weights) {
  v1::CalibratedAcceptanceConfig config;
  config.set_min_probability(min_probability);
  config.set_intercept(intercept);
  for (const auto& [signal, weight] : weights) {
    auto* term = config.add_weights();
    term->set_signal(signal);
    term->set_weight(weight);
  }
  AcceptanceRule rule;
  rule.calibrated = *CalibratedConfidence::Parse(config, "accept.calibrated");
  rule.calibrated_min = min_probability;
  return rule;
}

TEST_F(AcceptanceCheckTest, CalibratedRuleComparesItsLogisticProbability) {
  // P = 1 / (1 + exp(-(1 + 2 * logprob_mean + 0.5 * log_odds(p_yes)))).
  const AcceptanceRule rule =
      CalibratedRule(0.6, 1, {{"logprob_mean", 2}, {"self_check_log_odds", 0.5}});
  EXPECT_TRUE(rule.NeedsSelfCheck());
  const double logit = 1 + 2 * -0.2 + 0.5 * std::log(0.8 / 0.2);
  AcceptanceResult high = Check(rule, AnswerWith(-0.2, 0.8));
  EXPECT_EQ(high.method, "calibrated");
  EXPECT_NEAR(*high.calibrated_score, 1 / (1 + std::exp(-logit)), 1e-12);
  EXPECT_TRUE(high.accepted);

  AcceptanceResult low = Check(rule, AnswerWith(-1.5, 0.3));
  EXPECT_LT(*low.calibrated_score, 0.6);
  EXPECT_FALSE(low.accepted);
  EXPECT_EQ(low.reason, "low_confidence");
  // The override replaces min_probability, as for every rule.
  EXPECT_FALSE(Check(rule, AnswerWith(-0.2, 0.8), 0.99).accepted);
}

TEST_F(AcceptanceCheckTest, CalibratedRuleWithoutASignalItNeedsRejectsSayingWhich) {
  const AcceptanceRule rule = CalibratedRule(0.1, 0, {{"logprob_min", 1}, {"self_check", 3}});
  AcceptanceResult result = Check(rule, AnswerWith(-0.1, std::nullopt));
  EXPECT_FALSE(result.accepted);
  EXPECT_DOUBLE_EQ(*result.calibrated_score, 0);
  EXPECT_THAT(result.error, HasSubstr("self_check: the tier returned no self-check"));

  v1::CompleteResponse no_logprobs = AnswerWith(-0.1, 0.9);
  no_logprobs.clear_logprobs();
  result = Check(rule, no_logprobs);
  EXPECT_FALSE(result.accepted);
  EXPECT_THAT(result.error, HasSubstr("logprob_min"));
}

TEST_F(AcceptanceCheckTest, CalibratedRuleWithLogprobsOnlyNeedsNoSelfCheck) {
  const AcceptanceRule rule = CalibratedRule(0.5, 1, {{"logprob_p10", 1}, {"logprob_mean", 1}});
  EXPECT_FALSE(rule.NeedsSelfCheck());
  EXPECT_TRUE(Check(rule, AnswerWith(-0.1, std::nullopt)).accepted);   // P = 0.69
  EXPECT_FALSE(Check(rule, AnswerWith(-0.6, std::nullopt)).accepted);  // P = 0.45
}

TEST_F(AcceptanceCheckTest, CalibratedRuleWeighsTheRoutersEstimateAndRejectsWithoutIt) {
  // P = 1 / (1 + exp(-(-1 + 2 * log_odds(estimate)))): the fitter's single-signal form.
  const AcceptanceRule rule = CalibratedRule(0.9, -1, {{"router_estimate_log_odds", 2}});
  EXPECT_TRUE(rule.NeedsRouterEstimate());
  EXPECT_FALSE(rule.NeedsSelfCheck());  // The router's estimate costs the tier nothing.
  const double logit = -1 + 2 * std::log(0.9 / 0.1);
  AcceptanceResult sure = Check(rule, AnswerWith(-3, std::nullopt), std::nullopt, 0.9);
  EXPECT_NEAR(*sure.calibrated_score, 1 / (1 + std::exp(-logit)), 1e-12);
  EXPECT_TRUE(sure.accepted);
  EXPECT_FALSE(Check(rule, AnswerWith(-0.01, std::nullopt), std::nullopt, 0.6).accepted);

  AcceptanceResult none = Check(rule, AnswerWith(-0.01, std::nullopt));
  EXPECT_FALSE(none.accepted);
  EXPECT_THAT(none.error, HasSubstr("router_estimate_log_odds: the router gave no estimate"));

  // The raw estimate is a signal too; a rule without it asks the router for nothing.
  const AcceptanceRule raw = CalibratedRule(0.5, -2, {{"router_estimate", 4}});
  EXPECT_TRUE(Check(raw, AnswerWith(-1, std::nullopt), std::nullopt, 0.75).accepted);  // P = 0.73
  EXPECT_FALSE(Check(raw, AnswerWith(-1, std::nullopt), std::nullopt, 0.25).accepted);
  EXPECT_FALSE(CalibratedRule(0.5, 0, {{"logprob_mean", 1}}).NeedsRouterEstimate());
}

TEST(CalibratedConfidenceTest, BadConfigsAreRefusedNamingTheField) {
  auto parse = [](const std::string& yaml_signal, double weight, int copies = 1) {
    v1::CalibratedAcceptanceConfig config;
    config.set_min_probability(0.5);
    for (int i = 0; i < copies; ++i) {
      auto* term = config.add_weights();
      term->set_signal(yaml_signal);
      term->set_weight(weight);
    }
    return CalibratedConfidence::Parse(config, "policies[0].tiers[0].accept.calibrated");
  };
  EXPECT_THAT(parse("logprob_avg", 1).status().message(),
              HasSubstr("policies[0].tiers[0].accept.calibrated.weights[0].signal 'logprob_avg'"));
  EXPECT_THAT(parse("judge", 1).status().message(), HasSubstr("is not one of logprob_mean"));
  EXPECT_THAT(parse("self_check", 1, 2).status().message(), HasSubstr("appears twice"));
  EXPECT_THAT(parse("self_check", std::nan("")).status().message(),
              HasSubstr("weights[0].weight must be a number"));
  EXPECT_THAT(parse("self_check", 1, 0).status().message(), HasSubstr("at least one signal"));
  EXPECT_TRUE(parse("logprob_p25", -2).ok());
  EXPECT_THAT(parse("router_estimate_logodds", 1).status().message(),
              HasSubstr("router_estimate or router_estimate_log_odds"));
}

}  // namespace
}  // namespace cascade::orchestrator
