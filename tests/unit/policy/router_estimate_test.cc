// The router's estimate as a policy signal: recorded, it is calibrated per model and written
// as a `calibrated` rule with one weight on its log-odds, simulated as the orchestrator will
// compute it; cross-fitted, every row gets one from a router estimator that never saw its own
// label, and the certification rows' come from the selection rows alone (flipping the
// certification labels changes none of them; flipping the selection labels does).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "tools/policy/fit_report.h"
#include "tools/policy/policy_fitter.h"
#include "tools/policy/router_estimates.h"

namespace cascade::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kRouter = static_cast<int>(SignalKind::kRouterEstimate);

ModelAnswer Answer(bool right, int64_t cost) {
  ModelAnswer answer;
  answer.quality = right ? 1 : 0;
  answer.cost_pusd = cost;
  // Logprobs that say nothing: the same on every answer.
  answer.signals[static_cast<int>(SignalKind::kLogprobMean)] = -0.5;
  answer.signals[static_cast<int>(SignalKind::kLogprobMin)] = -0.5;
  return answer;
}

// `cheap` is right 70% of the time and the recorded router estimate says when (right: 0.75
// to 0.95, wrong: 0.05 to 0.3); its logprobs carry nothing. The top model is always right
// and costs 10 times as much.
QueryTable RecordedEstimateLadder(int queries = 2000) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> uniform(0, 1);
  QueryTable table;
  table.models = {"cheap", "top"};
  for (int i = 0; i < queries; ++i) {
    const bool right = uniform(random) < 0.7;
    ModelAnswer cheap = Answer(right, 100);
    cheap.signals[kRouter] = right ? 0.75 + 0.2 * uniform(random) : 0.05 + 0.25 * uniform(random);
    ModelAnswer top = Answer(true, 1000);
    top.signals[kRouter] = 0.99;
    table.rows.push_back({cheap, top});
  }
  return table;
}

TEST(RouterEstimateSignalTest, ARecordedEstimateThatSeparatesBuysACalibratedCascade) {
  const QueryTable table = RecordedEstimateLadder();
  FitOptions options;
  options.max_quality_drop = 0.02;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->chosen.has_value());
  const Candidate& chosen = fit->sequence[*fit->chosen];
  EXPECT_EQ(chosen.kind, SignalKind::kRouterEstimate);
  EXPECT_THAT(chosen.ladder, ElementsAre(0, 1));
  EXPECT_TRUE(chosen.certified);
  EXPECT_TRUE(chosen.raw_thresholds.empty());
  EXPECT_LE(chosen.training.drop, 0.02);
  EXPECT_NEAR(chosen.training.cost_ratio, 0.7 * 0.1 + 0.3 * 1.1, 0.03);
  // Nothing else to combine with (the logprobs never vary): no combined candidate.
  for (const Candidate& candidate : fit->candidates) {
    EXPECT_NE(candidate.kind, SignalKind::kCombined);
  }

  ASSERT_EQ(fit->policy.tiers_size(), 2);
  EXPECT_EQ(fit->policy.tiers(0).tier(), "cheap");
  ASSERT_TRUE(fit->policy.tiers(0).accept().has_calibrated());
  const v1::CalibratedAcceptanceConfig& rule = fit->policy.tiers(0).accept().calibrated();
  ASSERT_EQ(rule.weights_size(), 1);
  EXPECT_EQ(rule.weights(0).signal(), "router_estimate_log_odds");
  EXPECT_GT(rule.weights(0).weight(), 0);
  EXPECT_EQ(rule.min_probability(), chosen.target);
  EXPECT_EQ(rule.intercept(), chosen.combinations[0].intercept);
  EXPECT_EQ(rule.weights(0).weight(), chosen.combinations[0].terms[0].weight);

  // The rule's own numbers, as the orchestrator computes them, stop exactly the queries the
  // fitter's simulation stopped.
  int stopped = 0;
  for (const auto& row : table.rows) {
    const double p = std::clamp(*row[0].signals[kRouter], 1e-6, 1 - 1e-6);
    const double logit = rule.intercept() + rule.weights(0).weight() * std::log(p / (1 - p));
    if (1 / (1 + std::exp(-logit)) >= rule.min_probability()) ++stopped;
  }
  EXPECT_DOUBLE_EQ(chosen.training.final_share[0],
                   static_cast<double>(stopped) / static_cast<double>(table.rows.size()));

  const std::string summary = FitSummary(table, *fit, options);
  EXPECT_THAT(summary, HasSubstr("router_estimate"));
  EXPECT_THAT(summary, HasSubstr("router_estimate of cheap: P(correct) = 1 / (1 + exp(-("));
  EXPECT_THAT(summary, HasSubstr("x router_estimate_log_odds"));
}

TEST(RouterEstimateSignalTest, WithoutTheEstimateTheSameLadderStaysOnTheTopModel) {
  QueryTable table = RecordedEstimateLadder();
  for (auto& row : table.rows) row[0].signals[kRouter].reset();
  auto fit = FitPolicy(table, FitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->chosen.has_value());
}

// Two kinds of question: `cheap` answers the geography ones and fails the algebra ones; the
// top model answers both. Each row's query names its kind and a few words of its own.
QueryTable TwoTopics(int queries = 240) {
  std::mt19937_64 random(5);
  std::uniform_real_distribution<double> uniform(0, 1);
  const std::vector<std::string> places = {"france", "peru",  "kenya", "japan", "norway",
                                           "chile",  "egypt", "india", "spain", "canada"};
  const std::vector<std::string> terms = {"polynomial", "matrix", "integral", "derivative",
                                          "eigenvalue", "series", "limit",    "determinant"};
  QueryTable table;
  table.models = {"cheap", "top"};
  for (int i = 0; i < queries; ++i) {
    const bool geography = uniform(random) < 0.6;
    const std::string query =
        geography ? absl::StrCat("what is the capital city of ", places[i % places.size()],
                                 " and its largest river, question ", i)
                  : absl::StrCat("compute the ", terms[i % terms.size()], " of the ",
                                 terms[(i / 3) % terms.size()], " step by step, exercise ", i);
    // Mostly as the topic says, now and then not.
    const bool right = uniform(random) < (geography ? 0.9 : 0.15);
    ModelAnswer cheap = Answer(right, 100);
    cheap.signals[kRouter] = 0.123;  // Recorded: to be replaced.
    table.rows.push_back({cheap, Answer(true, 1000)});
    table.queries.push_back(query);
    table.keys.push_back(absl::StrCat("key-", i));
  }
  return table;
}

TEST(RouterEstimateSignalTest, CrossFittingFillsEveryRowAndKeepsCertificationIndependent) {
  const QueryTable table = TwoTopics();
  std::vector<int> selection, certification;
  for (int i = 0; i < static_cast<int>(table.rows.size()); ++i) {
    (i % 2 == 0 ? selection : certification).push_back(i);
  }
  QueryTable fitted = table;
  auto done = CrossFitRouterEstimates(fitted, selection, certification, 5, 1);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->folds, 5);
  EXPECT_EQ(done->missing, 0);
  EXPECT_EQ(done->estimated, static_cast<int>(2 * table.rows.size()));
  double geography_estimate = 0, algebra_estimate = 0;
  int geography = 0, algebra = 0;
  for (size_t r = 0; r < fitted.rows.size(); ++r) {
    for (size_t m = 0; m < fitted.models.size(); ++m) {
      const std::optional<double>& estimate = fitted.rows[r][m].signals[kRouter];
      ASSERT_TRUE(estimate.has_value()) << "row " << r << " model " << m;
      EXPECT_GT(*estimate, 0);
      EXPECT_LT(*estimate, 1);
      EXPECT_NE(*estimate, 0.123);
    }
    const bool is_geography = table.queries[r].rfind("what is", 0) == 0;
    (is_geography ? geography_estimate : algebra_estimate) += *fitted.rows[r][0].signals[kRouter];
    ++(is_geography ? geography : algebra);
  }
  // The estimates say which questions the cheap model answers.
  EXPECT_GT(geography_estimate / geography, algebra_estimate / algebra + 0.3);

  // Flipping every certification label changes no estimate: none of them was used.
  QueryTable flipped = table;
  for (int row : certification) {
    for (ModelAnswer& answer : flipped.rows[row]) answer.quality = 1 - answer.quality;
  }
  ASSERT_TRUE(CrossFitRouterEstimates(flipped, selection, certification, 5, 1).ok());
  for (size_t r = 0; r < fitted.rows.size(); ++r) {
    for (size_t m = 0; m < fitted.models.size(); ++m) {
      EXPECT_EQ(flipped.rows[r][m].signals[kRouter], fitted.rows[r][m].signals[kRouter])
          << "row " << r << " model " << m;
    }
  }
  // Flipping the selection labels does change the certification rows' estimates: they come
  // from those.
  QueryTable selection_flipped = table;
  for (int row : selection) {
    for (ModelAnswer& answer : selection_flipped.rows[row]) answer.quality = 1 - answer.quality;
  }
  ASSERT_TRUE(CrossFitRouterEstimates(selection_flipped, selection, certification, 5, 1).ok());
  int changed = 0;
  for (int row : certification) {
    changed +=
        selection_flipped.rows[row][0].signals[kRouter] != fitted.rows[row][0].signals[kRouter];
  }
  EXPECT_EQ(changed, static_cast<int>(certification.size()));
}

TEST(RouterEstimateSignalTest, AFitSaysItsEstimatesWereCrossFitted) {
  const QueryTable table = TwoTopics();
  FitOptions options;
  options.max_quality_drop = 0.05;
  options.cross_fit_router_estimates = true;
  auto fit = FitPolicy(table, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_TRUE(fit->router_estimates.has_value());
  EXPECT_EQ(fit->router_estimates->folds, 5);
  EXPECT_THAT(FitSummary(table, *fit, options), HasSubstr("router_estimate: cross-fitted"));
  // The caller's table keeps its recorded estimates.
  EXPECT_EQ(table.rows[0][0].signals[kRouter], 0.123);
}

TEST(RouterEstimateSignalTest, BadFoldsOrNoQueriesAreRefused) {
  QueryTable table = TwoTopics();
  std::vector<int> selection = {0, 1, 2, 3}, certification = {4, 5};
  for (int folds : {0, 1, 21}) {
    auto done = CrossFitRouterEstimates(table, selection, certification, folds, 1);
    EXPECT_EQ(done.status().code(), absl::StatusCode::kInvalidArgument) << folds;
    FitOptions options;
    options.cross_fit_router_estimates = true;
    options.estimate_folds = folds;
    EXPECT_EQ(FitPolicy(table, options).status().code(), absl::StatusCode::kInvalidArgument);
  }
  table.queries.clear();
  EXPECT_EQ(CrossFitRouterEstimates(table, selection, certification, 5, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::policy
