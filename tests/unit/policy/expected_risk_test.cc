// The weaker promise (`--guarantee expected`, conformal risk control): its corrected risk
// and controlled prefix on sequences whose answer is known, and, over many draws of a few
// hundred training queries from one population, that the chosen policies' mean drop on the
// population stays within the target while they cost less than the top model alone, where
// the high-probability promise can certify nothing from so few queries.

#include "tools/policy/expected_risk.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tools/policy/policy_fitter.h"

namespace cascade::policy {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;

TEST(ExpectedRiskTest, TheCorrectedRiskCountsEachQuerysWorstLossSoFar) {
  // Query 0 is lost by the second candidate and, made monotone, stays lost by the third;
  // query 2's gain (-1) is no loss; the +1 of the correction is one more loss in n + 1.
  const std::vector<std::vector<double>> drops = {{0, 0, 0, 0}, {1, 0, -1, 0}, {0, 0, 1, 0}};
  EXPECT_THAT(CorrectedRisks(drops), ElementsAre(DoubleEq(0.2), DoubleEq(0.4), DoubleEq(0.6)));
  EXPECT_TRUE(CorrectedRisks({}).empty());
}

TEST(ExpectedRiskTest, TheControlledPrefixStopsAtTheFirstRiskOverTheTarget) {
  EXPECT_EQ(ControlledPrefix({0.2, 0.4, 0.6}, 0.4), 2u);
  EXPECT_EQ(ControlledPrefix({0.2, 0.4, 0.6}, 0.1), 0u);
  EXPECT_EQ(ControlledPrefix({0.2, 0.5, 0.3}, 0.45), 1u);
  EXPECT_EQ(ControlledPrefix({}, 0.1), 0u);
}

ModelAnswer Answer(bool right, int64_t cost, std::optional<double> mean_logprob) {
  ModelAnswer answer;
  answer.quality = right ? 1 : 0;
  answer.cost_pusd = cost;
  answer.signals[static_cast<int>(SignalKind::kLogprobMean)] = mean_logprob;
  return answer;
}

// A cheap model right 75% of the time whose logprob only partly says when (the two classes'
// signals overlap), and a top model always right at 10 times the price: every answer of the
// cheap model that is accepted and wrong is a drop.
QueryTable NoisyLadder(int queries, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> noise(0, 0.4);
  QueryTable table;
  table.models = {"cheap", "top"};
  for (int i = 0; i < queries; ++i) {
    const bool right = uniform(random) < 0.75;
    const double signal = std::min(0.0, (right ? -0.3 : -1.1) + noise(random));
    table.rows.push_back({Answer(right, 100, signal), Answer(true, 1000, -0.01)});
  }
  return table;
}

TEST(ExpectedRiskFitTest, KeepsTheMeanDropWithinTheTargetOverManyDraws) {
  const QueryTable population = NoisyLadder(10000, 99);
  std::vector<int> everyone(population.rows.size());
  for (size_t i = 0; i < everyone.size(); ++i) everyone[i] = static_cast<int>(i);
  FitOptions options;
  options.max_quality_drop = 0.02;
  options.guarantee = Guarantee::kExpected;
  constexpr int kDraws = 60;
  double drop_sum = 0, cost_sum = 0;
  int cheaper = 0, certified_with_high_probability = 0;
  for (int draw = 0; draw < kDraws; ++draw) {
    const QueryTable training = NoisyLadder(300, 1000 + draw);
    auto fit = FitPolicy(training, options);
    ASSERT_TRUE(fit.ok()) << fit.status();
    if (fit->chosen) {
      ++cheaper;
      const Candidate& chosen = fit->sequence[*fit->chosen];
      EXPECT_TRUE(chosen.certified);
      EXPECT_LE(chosen.drop_upper_bound, options.max_quality_drop);
      const CandidateFigures truth = Simulate(population, chosen, everyone);
      drop_sum += truth.drop;
      cost_sum += truth.cost_ratio;
    } else {
      cost_sum += 1;
      EXPECT_EQ(fit->policy.tiers_size(), 1);
    }
    FitOptions strict = options;
    strict.guarantee = Guarantee::kHighProbability;
    auto strict_fit = FitPolicy(training, strict);
    ASSERT_TRUE(strict_fit.ok()) << strict_fit.status();
    if (strict_fit->chosen) ++certified_with_high_probability;
  }
  EXPECT_LE(drop_sum / kDraws, options.max_quality_drop);
  EXPECT_GE(cheaper, kDraws / 2);
  EXPECT_LT(cost_sum / kDraws, 0.9);
  EXPECT_LT(certified_with_high_probability, cheaper);
}

TEST(ExpectedRiskFitTest, ASignalWithoutInformationLeavesTheTopModelAlone) {
  QueryTable table = NoisyLadder(400, 5);
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> uniform(-3, 0);
  for (auto& row : table.rows)
    row[0].signals[static_cast<int>(SignalKind::kLogprobMean)] = uniform(random);
  FitOptions options;
  options.max_quality_drop = 0.02;
  options.guarantee = Guarantee::kExpected;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->chosen.has_value());
  ASSERT_EQ(fit->policy.tiers_size(), 1);
  EXPECT_EQ(fit->policy.tiers(0).tier(), "top");
}

TEST(ExpectedRiskFitTest, GuaranteeNamesReadBackAndOthersAreRefused) {
  EXPECT_EQ(ParseGuarantee("expected"), Guarantee::kExpected);
  EXPECT_EQ(ParseGuarantee("high-probability"), Guarantee::kHighProbability);
  EXPECT_EQ(ParseGuarantee(GuaranteeName(Guarantee::kExpected)), Guarantee::kExpected);
  EXPECT_FALSE(ParseGuarantee("Expected").has_value());
  EXPECT_FALSE(ParseGuarantee("").has_value());
}

}  // namespace
}  // namespace cascade::policy
