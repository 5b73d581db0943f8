#include "tools/routing_eval/routing_gain_curve.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::routing_eval {
namespace {

using ::testing::HasSubstr;

// Five queries, hand-made: the strong model gains on two (0 -> 1), loses on one (1 -> 0) and
// ties on two (both right, both wrong). perf_weak = 2/5, perf_strong = 3/5, total gain 1.
const std::vector<double> kWeak = {0, 0, 1, 1, 0};
const std::vector<double> kStrong = {1, 1, 1, 0, 0};

double Trapezoids(const GainCurve& curve) {
  double area = 0.0;
  for (size_t k = 0; k + 1 < curve.pgr.size(); ++k) {
    area += (curve.pgr[k] + curve.pgr[k + 1]) / 2.0 / static_cast<double>(curve.queries);
  }
  return area;
}

TEST(RoutingGainCurve, ConstantScoreIsRandomRoutingsDiagonal) {
  for (size_t n : {2u, 5u, 7u, 100u}) {
    std::vector<double> weak(n), strong(n), score(n, 0.25);
    for (size_t i = 0; i < n; ++i) {
      weak[i] = (i % 3 == 0) ? 1.0 : 0.0;
      strong[i] = (i % 2 == 0) ? 1.0 : 0.3;
    }
    absl::StatusOr<GainCurve> curve = ComputeGainCurve(weak, strong, score);
    ASSERT_TRUE(curve.ok()) << curve.status();
    EXPECT_EQ(curve->apgr, 0.5) << n;
    absl::StatusOr<double> cpt50 = CallPerformanceThreshold(*curve, 0.5);
    ASSERT_TRUE(cpt50.ok());
    EXPECT_EQ(*cpt50, 0.5) << n;
    EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 0.8), 0.8) << n;
    for (size_t k = 0; k <= n; ++k) {
      EXPECT_DOUBLE_EQ(curve->pgr[k], static_cast<double>(k) / static_cast<double>(n));
    }
    EXPECT_DOUBLE_EQ(curve->performance[0], curve->weak_quality);
    EXPECT_DOUBLE_EQ(curve->performance[n], curve->strong_quality);
  }
}

TEST(RoutingGainCurve, OracleOnTheHandMadeFixture) {
  // Oracle order: the two gains, the two ties (one group), the loss. Cumulative gain at
  // k = 0..5: 0, 1, 2, 2, 2, 1, so PGR = the same over a gap of 1; perf = 0.4 + gain / 5.
  // APGR = 0.2 * (0.5 + 1.5 + 2 + 2 + 1.5) = 1.5; PGR reaches 0.5 at x = 0.1, 0.8 at 0.16.
  absl::StatusOr<GainCurve> curve = ComputeGainCurve(kWeak, kStrong, OracleScores(kWeak, kStrong));
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_DOUBLE_EQ(curve->weak_quality, 0.4);
  EXPECT_DOUBLE_EQ(curve->strong_quality, 0.6);
  const std::vector<double> pgr = {0, 1, 2, 2, 2, 1};
  const std::vector<double> perf = {0.4, 0.6, 0.8, 0.8, 0.8, 0.6};
  for (size_t k = 0; k <= 5; ++k) {
    EXPECT_DOUBLE_EQ(curve->pgr[k], pgr[k]) << k;
    EXPECT_DOUBLE_EQ(curve->performance[k], perf[k]) << k;
  }
  EXPECT_DOUBLE_EQ(curve->apgr, 1.5);
  EXPECT_DOUBLE_EQ(Trapezoids(*curve), curve->apgr);
  EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 0.5), 0.1);
  EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 0.8), 0.16);
  EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 1.0), 0.2);
  EXPECT_EQ(*CallPerformanceThreshold(*curve, 0.0), 0.0);
}

TEST(RoutingGainCurve, InvertedScoreIsWorseThanRandom) {
  // Order: the loss, the ties, the gains; cumulative gain 0, -1, -1, -1, 0, 1.
  std::vector<double> inverted = OracleScores(kWeak, kStrong);
  for (double& score : inverted) score = -score;
  absl::StatusOr<GainCurve> curve = ComputeGainCurve(kWeak, kStrong, inverted);
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_LT(curve->apgr, 0.5);
  EXPECT_DOUBLE_EQ(curve->apgr, -0.5);
  EXPECT_DOUBLE_EQ(Trapezoids(*curve), curve->apgr);
  // PGR first reaches 0.5 on the last segment, from 0 at x = 0.8 to 1 at x = 1.
  EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 0.5), 0.9);
}

TEST(RoutingGainCurve, TiedGroupIsFilledInExpectation) {
  // Scores: query 0 alone on top, then queries 1-3 tied. Gains 1, then 1, 0, 0 (sum 1 over
  // the group of three, total 2): inside the group the expected gain rises by 1/3 a query.
  const std::vector<double> weak = {0, 0, 1, 0};
  const std::vector<double> strong = {1, 1, 1, 0};
  const std::vector<double> score = {0.9, 0.1, 0.1, 0.1};
  absl::StatusOr<GainCurve> curve = ComputeGainCurve(weak, strong, score);
  ASSERT_TRUE(curve.ok()) << curve.status();
  const std::vector<double> pgr = {0, 0.5, 0.5 + 0.5 / 3, 0.5 + 1.0 / 3, 1};
  for (size_t k = 0; k <= 4; ++k) EXPECT_DOUBLE_EQ(curve->pgr[k], pgr[k]) << k;
  EXPECT_DOUBLE_EQ(curve->performance[2], (1 + 1 + 1.0 / 3) / 4);
  EXPECT_DOUBLE_EQ(Trapezoids(*curve), curve->apgr);
  EXPECT_EQ(curve->break_x.size(), 3u);
  // PGR reaches 0.8 inside the group: 0.5 + (x - 0.25) / 0.75 * 0.5 = 0.8 at x = 0.7.
  EXPECT_DOUBLE_EQ(*CallPerformanceThreshold(*curve, 0.8), 0.7);
}

TEST(RoutingGainCurve, BadInputIsAClearError) {
  const std::vector<double> none;
  absl::StatusOr<GainCurve> empty = ComputeGainCurve(none, none, none);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("no queries"));

  const std::vector<double> two = {0.1, 0.2};
  absl::StatusOr<GainCurve> mismatched = ComputeGainCurve(kWeak, kStrong, two);
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatched.status().message(), HasSubstr("sizes differ"));

  const std::vector<double> same = {1, 0, 1};
  const std::vector<double> swapped = {0, 1, 1};
  const std::vector<double> three = {0.3, 0.2, 0.1};
  absl::StatusOr<GainCurve> no_gap = ComputeGainCurve(same, swapped, three);
  EXPECT_EQ(no_gap.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_gap.status().message(), HasSubstr("same mean quality"));

  const std::vector<double> out_of_range = {0, 1.5, 0};
  EXPECT_THAT(ComputeGainCurve(same, out_of_range, {0, 0, 0}).status().message(),
              HasSubstr("strong_quality[1] must be in [0, 1]"));
  EXPECT_THAT(ComputeGainCurve(same, swapped, {0, NAN, 0}).status().message(),
              HasSubstr("score[1] must be finite"));

  absl::StatusOr<GainCurve> curve = ComputeGainCurve(kWeak, kStrong, {1, 2, 3, 4, 5});
  ASSERT_TRUE(curve.ok());
  EXPECT_EQ(CallPerformanceThreshold(*curve, 1.2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CallPerformanceThreshold(GainCurve{}, 0.5).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::routing_eval
