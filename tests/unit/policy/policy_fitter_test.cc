// The policy fitter on ladders whose answer is known: a signal that separates right from
// wrong perfectly buys a cheap certified cascade; one that carries no information leaves
// the top model alone; a middle tier that costs nearly as much as the top is left out; two
// signals that each say part of the truth are worth more combined than either alone. The
// fitter's simulation agrees with the orchestrator's own arithmetic on the fixture.

#include "tools/policy/policy_fitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
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
  // Its logprob mean and min are the same number: one signal, nothing to combine.
  for (const Candidate& candidate : fit->candidates) {
    EXPECT_NE(candidate.kind, SignalKind::kCombined);
  }
}

// `cheap` is right 70% of the time; its logprob mean and its self-check each say so only in
// part, independently of each other given the truth (logprob mean -0.6 or -1.4, noise 0.45;
// self-check log-odds +1 or -1, noise 1.3). The top model is always right, at 10 times the
// price; the self-check costs a tenth of the answer.
QueryTable TwoPartialSignals(int queries = 4000) {
  std::mt19937_64 random(13);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> noise(0, 1);
  QueryTable table;
  table.models = {"cheap", "top"};
  for (int i = 0; i < queries; ++i) {
    const bool right = uniform(random) < 0.7;
    ModelAnswer cheap = Answer(right, 100, std::nullopt);
    cheap.self_check_cost_pusd = 10;
    cheap.signals[static_cast<int>(SignalKind::kLogprobMean)] =
        std::min(0.0, (right ? -0.6 : -1.4) + 0.45 * noise(random));
    const double log_odds = (right ? 1.0 : -1.0) + 1.3 * noise(random);
    cheap.signals[static_cast<int>(SignalKind::kSelfCheck)] = 1 / (1 + std::exp(-log_odds));
    table.rows.push_back({cheap, Answer(true, 1000, -0.001)});
  }
  return table;
}

// The lowest selection cost a kind reaches within `max_drop` on the selection queries.
double CheapestWithin(const FitResult& fit, SignalKind kind, double max_drop) {
  double cheapest = std::numeric_limits<double>::infinity();
  for (const Candidate& c : fit.candidates) {
    if (c.kind == kind && c.selection.drop <= max_drop) {
      cheapest = std::min(cheapest, c.selection.cost_ratio);
    }
  }
  return cheapest;
}

TEST(PolicyFitterTest, TwoPartialSignalsCombinedBeatEitherAlone) {
  const QueryTable table = TwoPartialSignals();
  FitOptions options;
  options.max_quality_drop = 0.03;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  // Within the same drop, the combination stops more queries at the cheap tier than either
  // signal alone (its self-check's cost included).
  const double combined = CheapestWithin(*fit, SignalKind::kCombined, 0.03);
  EXPECT_LT(combined, CheapestWithin(*fit, SignalKind::kLogprobMean, 0.03) - 0.03);
  EXPECT_LT(combined, CheapestWithin(*fit, SignalKind::kSelfCheck, 0.03) - 0.03);
  ASSERT_TRUE(fit->chosen.has_value());
  const Candidate& chosen = fit->sequence[*fit->chosen];
  EXPECT_EQ(chosen.kind, SignalKind::kCombined);
  EXPECT_TRUE(chosen.raw_thresholds.empty());
  // Both signals count, each the right way up.
  ASSERT_EQ(chosen.combinations.size(), 1u);
  const SignalCombination& combination = chosen.combinations[0];
  ASSERT_EQ(combination.terms.size(), 2u);
  EXPECT_EQ(combination.terms[0].signal, SignalKind::kLogprobMean);
  EXPECT_EQ(combination.terms[1].signal, SignalKind::kSelfCheck);
  EXPECT_GT(combination.terms[0].weight, 0.5);
  EXPECT_GT(combination.terms[1].weight, 0.3);
  EXPECT_TRUE(combination.UsesSelfCheck());
  // The policy carries it as the orchestrator reads it, its numbers to 6 significant digits.
  ASSERT_EQ(fit->policy.tiers_size(), 2);
  const v1::AcceptanceConfig& accept = fit->policy.tiers(0).accept();
  ASSERT_TRUE(accept.has_calibrated());
  EXPECT_FALSE(accept.has_logprob() || accept.has_self_check());
  EXPECT_EQ(accept.calibrated().min_probability(), chosen.target);
  EXPECT_EQ(accept.calibrated().intercept(), combination.intercept);
  ASSERT_EQ(accept.calibrated().weights_size(), 2);
  EXPECT_EQ(accept.calibrated().weights(0).signal(), "logprob_mean");
  EXPECT_EQ(accept.calibrated().weights(0).weight(), combination.terms[0].weight);
  EXPECT_EQ(accept.calibrated().weights(1).signal(), "self_check_log_odds");
  EXPECT_EQ(accept.calibrated().weights(1).weight(), combination.terms[1].weight);
  for (double number :
       {combination.intercept, combination.terms[0].weight, combination.terms[1].weight}) {
    EXPECT_EQ(number, std::stod(absl::StrFormat("%.5e", number))) << number;
  }
  // The report names the combination's weights per tier.
  const std::string summary = FitSummary(table, *fit, options);
  EXPECT_THAT(summary, ::testing::HasSubstr("combined signals of cheap: P(correct) = 1 / (1 + "
                                            "exp(-("));
  EXPECT_THAT(summary, ::testing::HasSubstr(" x self_check_log_odds)))"));
  EXPECT_THAT(summary, ::testing::HasSubstr("chosen: cheap > top on combined signals"));
  const std::string markdown =
      FitReportMarkdown(table, *fit, options, "train.jsonl", "policies: []\n", "");
  EXPECT_THAT(markdown, ::testing::HasSubstr("## Combined signals"));
  EXPECT_THAT(markdown, ::testing::HasSubstr("| cheap > top | combined |"));
}

TEST(PolicyFitterTest, ACombinedCandidateCountsItsSelfCheckAndNeedsEverySignal) {
  QueryTable table;
  table.models = {"cheap", "top"};
  ModelAnswer cheap = Answer(true, 100, -0.2);
  cheap.self_check_cost_pusd = 10;
  cheap.signals[static_cast<int>(SignalKind::kSelfCheck)] = 0.9;
  ModelAnswer no_self_check = Answer(true, 100, -0.2);
  table.rows = {{cheap, Answer(true, 1000, 0)}, {no_self_check, Answer(true, 1000, 0)}};
  Candidate candidate;
  candidate.ladder = {0, 1};
  candidate.kind = SignalKind::kCombined;
  candidate.target = 0.5;
  // logit = 1 + 2 x (-0.2) + 0.5 x log(9) > 0: the first answer stops; the second lacks the
  // self-check and climbs.
  candidate.combinations = {
      {1.0, {{SignalKind::kLogprobMean, 2.0}, {SignalKind::kSelfCheck, 0.5}}}};
  EXPECT_NEAR(*candidate.combinations[0].Probability(cheap),
              1 / (1 + std::exp(-(1 - 0.4 + 0.5 * std::log(9)))), 1e-12);
  EXPECT_FALSE(candidate.combinations[0].Probability(no_self_check).has_value());
  std::vector<QueryCost> costs;
  const CandidateFigures figures = Simulate(table, candidate, {0, 1}, nullptr, &costs);
  ASSERT_EQ(costs.size(), 2u);
  EXPECT_EQ(costs[0].policy_pusd, 110);
  EXPECT_EQ(costs[1].policy_pusd, 1100);
  EXPECT_THAT(figures.final_share, ElementsAre(0.5, 0.5));
  // Without the self-check among its signals, none is asked for.
  candidate.combinations[0].terms.pop_back();
  costs.clear();
  Simulate(table, candidate, {0, 1}, nullptr, &costs);
  EXPECT_EQ(costs[0].policy_pusd, 100);
  EXPECT_EQ(costs[1].policy_pusd, 100);
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
  std::vector<Candidate> candidates;
  for (SignalKind kind : {SignalKind::kSelfCheck, SignalKind::kLogprobMean}) {
    Candidate candidate;
    candidate.ladder = {0, 1, 2};
    candidate.kind = kind;
    candidate.raw_thresholds = kind == SignalKind::kSelfCheck ? std::vector<double>{0.8, 0.0}
                                                              : std::vector<double>{-0.5, -0.5};
    candidates.push_back(candidate);
  }
  // Combined: tiny on its logprob mean and self-check (which costs), mid on its logprob mean
  // and min, at P(correct) >= 0.8; tiny alone before the top at 0.75; mid on a self-check it
  // never recorded (the rule cannot pass: everything climbs).
  const SignalCombination tiny{0.25,
                               {{SignalKind::kLogprobMean, 0.5}, {SignalKind::kSelfCheck, 0.9}}};
  const SignalCombination mid{2.5,
                              {{SignalKind::kLogprobMean, 4.0}, {SignalKind::kLogprobMin, 1.5}}};
  const SignalCombination mid_self_check{
      0.1, {{SignalKind::kSelfCheck, 1.0}, {SignalKind::kLogprobMean, 3.0}}};
  for (auto [ladder, combinations, target] :
       {std::tuple{std::vector<int>{0, 1, 2}, std::vector<SignalCombination>{tiny, mid}, 0.8},
        std::tuple{std::vector<int>{0, 2}, std::vector<SignalCombination>{tiny}, 0.75},
        std::tuple{std::vector<int>{1, 2}, std::vector<SignalCombination>{mid_self_check}, 0.5}}) {
    Candidate candidate;
    candidate.ladder = ladder;
    candidate.kind = SignalKind::kCombined;
    candidate.target = target;
    candidate.combinations = combinations;
    candidates.push_back(candidate);
  }
  std::vector<int> all(table->rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  for (const Candidate& candidate : candidates) {
    SCOPED_TRACE(absl::StrCat(SignalName(candidate.kind), " on ", LadderName(*table, candidate)));
    const CandidateFigures figures = Simulate(*table, candidate, all);
    auto evaluation = EvaluatePolicy(*records, *prices, PolicyOf(*table, candidate, "p"));
    ASSERT_TRUE(evaluation.ok()) << evaluation.status();
    EXPECT_NEAR(figures.cost_ratio, evaluation->cost_ratio(), 1e-12);
    EXPECT_NEAR(figures.drop, evaluation->top_quality() - evaluation->quality(), 1e-12);
    ASSERT_EQ(evaluation->final_tiers.size(), candidate.ladder.size());
    for (size_t tier = 0; tier < candidate.ladder.size(); ++tier) {
      EXPECT_EQ(evaluation->final_tiers[tier].first, table->models[candidate.ladder[tier]]);
      EXPECT_NEAR(figures.final_share[tier],
                  static_cast<double>(evaluation->final_tiers[tier].second) / evaluation->queries,
                  1e-12);
    }
  }
  // The combination splits the queries: at 0.8 tiny keeps sc1, sc5 and sc8 (P 0.82) but not
  // sc3 (0.78), mid keeps sc2 and sc3, the top model answers the rest.
  const CandidateFigures combined = Simulate(*table, candidates[2], all);
  EXPECT_THAT(combined.final_share, ElementsAre(3.0 / 8, 2.0 / 8, 3.0 / 8));
}

}  // namespace
}  // namespace cascade::policy
