// The policy fitter's logistic regression: it recovers the weights of the model that drew
// the labels, stays finite when the features separate the labels, and refuses what it
// cannot fit.

#include "tools/policy/logistic_combination.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cascade::policy {
namespace {

TEST(LogisticCombinationTest, RecoversTheWeightsThatDrewTheLabels) {
  // Three features on different scales and offsets; labels drawn from a known logistic model.
  const double intercept = 0.5;
  const std::vector<double> weights = {1.5, -0.8, 0.3};
  std::mt19937_64 random(2024);
  std::normal_distribution<double> logprob(-1.0, 0.7), log_odds(0.0, 2.0), other(5.0, 3.0);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int i = 0; i < 20000; ++i) {
    std::vector<double> x = {logprob(random), log_odds(random), other(random)};
    double z = intercept;
    for (size_t j = 0; j < x.size(); ++j) z += weights[j] * x[j];
    labels.push_back(uniform(random) < 1 / (1 + std::exp(-z)) ? 1 : 0);
    features.push_back(std::move(x));
  }
  auto fit = FitLogisticCombination(features, labels);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_EQ(fit->weights.size(), 3u);
  EXPECT_NEAR(fit->intercept, intercept, 0.12);
  EXPECT_NEAR(fit->weights[0], 1.5, 0.08);
  EXPECT_NEAR(fit->weights[1], -0.8, 0.04);
  EXPECT_NEAR(fit->weights[2], 0.3, 0.02);
  EXPECT_NEAR(fit->Probability({0, 0, 0}), 1 / (1 + std::exp(-fit->intercept)), 1e-15);
}

TEST(LogisticCombinationTest, PerfectlySeparatedLabelsGiveFiniteWeights) {
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int i = 0; i < 200; ++i) {
    const bool right = i % 3 != 0;
    features.push_back(
        {right ? -0.01 * (i % 5) : -2.0 - 0.1 * (i % 7), right ? 2.0 : -1.0 + i % 2});
    labels.push_back(right ? 1 : 0);
  }
  auto fit = FitLogisticCombination(features, labels);
  ASSERT_TRUE(fit.ok()) << fit.status();
  for (double w : fit->weights) EXPECT_TRUE(std::isfinite(w));
  for (size_t i = 0; i < features.size(); ++i) {
    EXPECT_EQ(fit->Probability(features[i]) >= 0.5, labels[i] == 1) << i;
  }
}

TEST(LogisticCombinationTest, RefusesWhatItCannotFit) {
  const std::vector<std::vector<double>> features = {{-0.1, 1}, {-0.5, 2}, {-1.0, 0}, {-2, 1}};
  // One class only.
  auto one_class = FitLogisticCombination(features, std::vector<int>{1, 1, 1, 1});
  EXPECT_EQ(one_class.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FitLogisticCombination(features, std::vector<int>{0, 0, 0, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A feature the same on every record.
  const std::vector<std::vector<double>> constant = {{-0.1, 1}, {-0.5, 1}, {-1.0, 1}, {-2, 1}};
  EXPECT_EQ(FitLogisticCombination(constant, std::vector<int>{1, 0, 1, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Sizes that differ, a label not 0 or 1, a value not finite, nothing at all.
  EXPECT_EQ(FitLogisticCombination(features, std::vector<int>{1, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FitLogisticCombination(features, std::vector<int>{1, 0, 2, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::vector<double>> ragged = {{-0.1, 1}, {-0.5}, {-1.0, 0}, {-2, 1}};
  EXPECT_EQ(FitLogisticCombination(ragged, std::vector<int>{1, 0, 1, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::vector<double>> infinite = {{-0.1, 1}, {-INFINITY, 2}, {-1, 0}, {-2, 1}};
  EXPECT_EQ(FitLogisticCombination(infinite, std::vector<int>{1, 0, 1, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FitLogisticCombination({}, std::vector<int>{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::policy
