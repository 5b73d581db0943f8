#include "services/judge/lib/calibration.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::judge {
namespace {

TEST(CalibrationTest, AucCountsOrderedPairsWithTiesAsHalf) {
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(RocAuc({0.1, 0.2, 0.3}, {0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(RocAuc({0.5, 0.5}, {0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(RocAuc({0.5, 0.7}, {1, 1}), 0.5);  // One class: undefined, 0.5.
}

TEST(CalibrationTest, BrierAndEceOfKnownValues) {
  EXPECT_DOUBLE_EQ(BrierScore({1.0, 0.0, 0.5}, {1, 0, 1}), 0.25 / 3);
  // Two bins used: [0.2, 0.2] with labels {0, 1} -> |0.2 - 0.5| = 0.3;
  // [0.9, 0.9] with labels {1, 1} -> 0.1. Weighted: (2 * 0.3 + 2 * 0.1) / 4 = 0.2.
  EXPECT_NEAR(ExpectedCalibrationError({0.2, 0.2, 0.9, 0.9}, {0, 1, 1, 1}), 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(ExpectedCalibrationError({}, {}), 0);
}

TEST(CalibrationTest, FitRecoversAKnownLogisticMap) {
  // Labels drawn from P(1 | x) = sigmoid(3x - 1): the fit lands near (3, -1).
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-2, 2);
  const LogisticMap truth{3, -1};
  std::vector<double> x;
  std::vector<int> y;
  for (int i = 0; i < 4000; ++i) {
    x.push_back(uniform(rng));
    y.push_back(std::uniform_real_distribution<double>(0, 1)(rng) < truth.Apply(x.back()) ? 1 : 0);
  }
  absl::StatusOr<LogisticMap> fit = FitLogisticMap(x, y);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_NEAR(fit->slope, 3, 0.3);
  EXPECT_NEAR(fit->intercept, -1, 0.2);
}

TEST(CalibrationTest, SeparableDataStaysFinite) {
  absl::StatusOr<LogisticMap> fit = FitLogisticMap({-1, -0.5, 0.5, 1}, {0, 0, 1, 1});
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(std::isfinite(fit->slope));
  EXPECT_GT(fit->slope, 0);
  EXPECT_GT(fit->Apply(1), 0.9);
}

TEST(CalibrationTest, BadInputIsRejected) {
  EXPECT_EQ(FitLogisticMap({1, 2}, {1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(FitLogisticMap({1, 2}, {1, 2}).status().message(),
              ::testing::HasSubstr("not 0 or 1"));
  EXPECT_THAT(FitLogisticMap({1, 2}, {1, 1}).status().message(),
              ::testing::HasSubstr("both labels"));
  EXPECT_THAT(FitLogisticMap({NAN, 2}, {0, 1}).status().message(),
              ::testing::HasSubstr("not finite"));
}

TEST(CalibrationTest, ApplyIsStableAtExtremes) {
  const LogisticMap identity{1, 0};
  EXPECT_DOUBLE_EQ(identity.Apply(0), 0.5);
  EXPECT_EQ(identity.Apply(-1000), 0.0);
  EXPECT_EQ(identity.Apply(1000), 1.0);
}

}  // namespace
}  // namespace cascade::judge
