// The policy fitter on ladders whose answer is known: a signal that separates right from
// wrong perfectly buys a cheap certified cascade; one that carries no information leaves
// the top model alone; a middle tier that costs nearly as much as the top is left out. The
// fitter's simulation agrees with the orchestrator's own arithmetic on the fixture.

#include "tools/policy/policy_fitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "absl/strings/str_format.h"
#include "tools/policy/drop_bound.h"
#include "tools/policy/fit_report.h"
#include "tools/policy/policy_evaluation.h"

namespace cascade::policy {
namespace {

using ::testing::ElementsAre;

ModelAnswer Answer(bool right, int64_t cost, std::optional<double> mean_logprob) {
  ModelAnswer answer;
  answer.quality = right ? 1 : 0;
  answer.cost_pusd = cost;
  answer.signals[static_cast<int>(SignalKind::kLogprobMean)] = mean_logprob;
  answer.signals[static_cast<int>(SignalKind::kLogprobMin)] = mean_logprob;
  return answer;
}

// `cheap` is right 70% of the time; `informative`: its logprob says when. The top model is
// always right and costs 10 times as much. With `middle`, a third model right 90% of the time
// (and saying when) at 95% of the top model's price sits between them.
QueryTable Ladder(bool informative, bool middle, int queries = 2000) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> uniform(0, 1);
  QueryTable table;
  table.models = middle ? std::vector<std::string>{"cheap", "middle", "top"}
                        : std::vector<std::string>{"cheap", "top"};
  for (int i = 0; i < queries; ++i) {
    std::vector<ModelAnswer> row;
    const bool right = uniform(random) < 0.7;
    const double signal = informative ? (right ? -0.01 : -3.0) : -3.0 * uniform(random);
    row.push_back(Answer(right, 100, signal));
    if (middle) {
      const bool middle_right = uniform(random) < 0.9;
      row.push_back(Answer(middle_right, 950, middle_right ? -0.01 : -3.0));
    }
    row.push_back(Answer(true, 1000, -0.001));
    table.rows.push_back(std::move(row));
  }
  return table;
}

TEST(PolicyFitterTest, APerfectSignalBuysACheapCertifiedCascade) {
  const QueryTable table = Ladder(/*informative=*/true, /*middle=*/false);
  FitOptions options;
  options.max_quality_drop = 0.02;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->chosen.has_value());
  const Candidate& chosen = fit->sequence[*fit->chosen];
  EXPECT_THAT(chosen.ladder, ElementsAre(0, 1));
  EXPECT_TRUE(chosen.certified);
  EXPECT_LE(chosen.training.drop, 0.02);
  // 70% stop at the cheap tier (0.1 of the top's price); 30% pay both.
  EXPECT_NEAR(chosen.training.cost_ratio, 0.7 * 0.1 + 0.3 * 1.1, 0.03);
  // Its cost interval, on the 1,000 certification queries, holds the certification cost.
  EXPECT_LT(chosen.cost_interval.low, chosen.certification.cost_ratio);
  EXPECT_GT(chosen.cost_interval.high, chosen.certification.cost_ratio);
  EXPECT_LT(chosen.cost_interval.high - chosen.cost_interval.low, 0.1);
  EXPECT_EQ(fit->policy.tiers_size(), 2);
  EXPECT_EQ(fit->policy.tiers(0).tier(), "cheap");
  EXPECT_TRUE(fit->policy.tiers(0).accept().has_logprob());
  // The threshold sits between the right answers' -0.01 and the wrong ones' -3.
  EXPECT_LT(fit->policy.tiers(0).accept().logprob().min(), -0.01);
  EXPECT_GT(fit->policy.tiers(0).accept().logprob().min(), -3.0);
  EXPECT_EQ(fit->selection_queries + fit->certification_queries, 2000);
}

TEST(PolicyFitterTest, TheReportAndTheChartShowEveryCandidate) {
  const QueryTable table = Ladder(/*informative=*/true, /*middle=*/false);
  FitOptions options;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  const std::string markdown =
      FitReportMarkdown(table, *fit, options, "train.jsonl", "policies: []\n", "frontier.svg");
  EXPECT_THAT(markdown, ::testing::HasSubstr("chosen: cheap > top on"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("](frontier.svg)"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("and at least the top model's quality - 0.0200 with "
                                             "confidence 0.90"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("| cheap > top | logprob:"));
  const Candidate& chosen = fit->sequence[*fit->chosen];
  EXPECT_THAT(markdown, ::testing::HasSubstr(absl::StrFormat("%.3f to %.3f on the certification",
                                                             chosen.cost_interval.low,
                                                             chosen.cost_interval.high)));
  const std::string svg = FrontierSvg(table, *fit, options);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) {
    ++circles;
  }
  EXPECT_EQ(circles, fit->candidates.size() + fit->sequence.size());
}

TEST(PolicyFitterTest, ASignalWithoutInformationLeavesTheTopModelAlone) {
  const QueryTable table = Ladder(/*informative=*/false, /*middle=*/false);
  FitOptions options;
  options.max_quality_drop = 0.02;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->chosen.has_value());
  ASSERT_EQ(fit->policy.tiers_size(), 1);
  EXPECT_EQ(fit->policy.tiers(0).tier(), "top");
  for (const Candidate& candidate : fit->sequence) EXPECT_FALSE(candidate.certified);
}

TEST(PolicyFitterTest, AMiddleTierNeverWorthItsPriceIsLeftOut) {
  const QueryTable table = Ladder(/*informative=*/true, /*middle=*/true);
  FitOptions options;
  options.max_quality_drop = 0.02;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->chosen.has_value());
  EXPECT_THAT(fit->sequence[*fit->chosen].ladder, ElementsAre(0, 2));
}

TEST(PolicyFitterTest, TooFewQueriesOrBadOptionsAreRefused) {
  EXPECT_EQ(FitPolicy(Ladder(true, false, 10), FitOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  FitOptions options;
  options.confidence = 1;
  EXPECT_EQ(FitPolicy(Ladder(true, false), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DropBoundTest, AgreementIsEvidenceAndLossesAreNot) {
  const std::vector<double> agree(1000, 0.0);
  EXPECT_LT(DropPValue(agree, 0.02, 0.1), 0.01);
  EXPECT_LT(DropUpperBound(agree, 0.1), 0.01);
  std::vector<double> losing(1000, 0.0);
  for (int i = 0; i < 100; ++i) losing[i * 10] = 1;  // A 10-point drop.
  EXPECT_EQ(DropPValue(losing, 0.02, 0.1), 1.0);
  EXPECT_GT(DropUpperBound(losing, 0.1), 0.1);
  // With a few hundred queries even perfect agreement cannot certify a 1-point drop.
  const std::vector<double> few(150, 0.0);
  EXPECT_GT(DropPValue(few, 0.01, 0.1), 0.1);
}

TEST(CostIntervalTest, NarrowsWithTheSampleAndIsReproducible) {
  // Half the queries cost the top model's price, half a tenth of it: a ratio of 0.55.
  std::vector<QueryCost> costs;
  for (int i = 0; i < 400; ++i) costs.push_back({i % 2 == 0 ? 1000 : 100, 1000});
  const CostInterval wide = BootstrapCostInterval(absl::MakeSpan(costs).subspan(0, 40), 0.9, 3);
  const CostInterval narrow = BootstrapCostInterval(costs, 0.9, 3);
  EXPECT_LT(narrow.low, 0.55);
  EXPECT_GT(narrow.high, 0.55);
  EXPECT_LT(narrow.high - narrow.low, wide.high - wide.low);
  const CostInterval again = BootstrapCostInterval(costs, 0.9, 3);
  EXPECT_EQ(again.low, narrow.low);
  EXPECT_EQ(again.high, narrow.high);
  // Every query the same: no spread. No queries or no top-model cost: [0, 0].
  const std::vector<QueryCost> same(50, QueryCost{300, 1000});
  EXPECT_DOUBLE_EQ(BootstrapCostInterval(same, 0.9, 1).low, 0.3);
  EXPECT_DOUBLE_EQ(BootstrapCostInterval(same, 0.9, 1).high, 0.3);
  EXPECT_EQ(BootstrapCostInterval({}, 0.9, 1).high, 0);
  const std::vector<QueryCost> free(5, QueryCost{0, 0});
  EXPECT_EQ(BootstrapCostInterval(free, 0.9, 1).high, 0);
}

// The fitter's own simulation and the orchestrator's arithmetic (policy eval) agree.
TEST(PolicyFitterTest, ItsSimulationIsTheOrchestratorsArithmetic) {
  const std::string data = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/";
  auto records = outcomes::ReadOutcomesFile(data + "self_check_ladder.jsonl");
  ASSERT_TRUE(records.ok()) << records.status();
  auto prices = outcomes::ReadPricesFile(data + "prices.yaml");
  ASSERT_TRUE(prices.ok()) << prices.status();
  auto table = BuildQueryTable(*records, *prices, {"tiny", "mid", "top"});
  ASSERT_TRUE(table.ok()) << table.status();
  for (SignalKind kind : {SignalKind::kSelfCheck, SignalKind::kLogprobMean}) {
    Candidate candidate;
    candidate.ladder = {0, 1, 2};
    candidate.kind = kind;
    candidate.raw_thresholds = kind == SignalKind::kSelfCheck ? std::vector<double>{0.8, 0.0}
                                                              : std::vector<double>{-0.5, -0.5};
    std::vector<int> all(table->rows.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    const CandidateFigures figures = Simulate(*table, candidate, all);
    auto evaluation = EvaluatePolicy(*records, *prices, PolicyOf(*table, candidate, "p"));
    ASSERT_TRUE(evaluation.ok()) << evaluation.status();
    EXPECT_NEAR(figures.cost_ratio, evaluation->cost_ratio(), 1e-12);
    EXPECT_NEAR(figures.drop, evaluation->top_quality() - evaluation->quality(), 1e-12);
    for (size_t tier = 0; tier < 3; ++tier) {
      EXPECT_NEAR(figures.final_share[tier],
                  static_cast<double>(evaluation->final_tiers[tier].second) / evaluation->queries,
                  1e-12);
    }
  }
}

}  // namespace
}  // namespace cascade::policy
