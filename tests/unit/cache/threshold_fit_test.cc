// The threshold fit's rules on hand-made scores: the lowest grid threshold above the
// near-misses it must exclude, the guard's refusals never counted against it, the floor,
// the target that cannot be met, routes with and without enough near-misses, and a split
// that is stratified and seeded.

#include "services/cache/lib/threshold_fit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace cascade::cache {
namespace {

PairScore Score(float similarity, bool refused = false) {
  PairScore score;
  score.similarity = similarity;
  if (refused) score.verdict.refused_by = NearMissCheck::kNumbers;
  return score;
}

TEST(ThresholdFitTest, TheLowestGridThresholdAboveWhatMustNotBeServed) {
  ThresholdFitOptions options;
  options.max_wrong_hit_rate = 0;
  // The guard refuses the 0.97: only the 0.93 must be excluded.
  std::vector<PairScore> negatives = {Score(0.97f, true), Score(0.93f), Score(0.6f)};
  ThresholdFit fit = FitThreshold(negatives, options);
  EXPECT_DOUBLE_EQ(fit.threshold, 0.9301);
  EXPECT_EQ(fit.wrong_hits, 0u);
  EXPECT_TRUE(fit.target_met);
  EXPECT_FALSE(Score(0.93f).ServedAt(fit.threshold));
  EXPECT_TRUE(Score(0.9301f).ServedAt(fit.threshold));

  // 10% of 10 near-misses: one may be served, so the second most similar decides.
  options.max_wrong_hit_rate = 0.1;
  negatives = {Score(0.95f), Score(0.9f), Score(0.8f)};
  negatives.resize(10, Score(0.1f));
  fit = FitThreshold(negatives, options);
  EXPECT_EQ(fit.allowed_wrong_hits, 1u);
  EXPECT_DOUBLE_EQ(fit.threshold, 0.9001);
  EXPECT_EQ(fit.wrong_hits, 1u);

  // Nothing to exclude: the floor. Near-misses that embed alike and pass: 1.0, not met.
  options.max_wrong_hit_rate = 0;
  EXPECT_DOUBLE_EQ(FitThreshold({Score(0.99f, true)}, options).threshold, 0.5);
  options.min_threshold = 0.8;
  EXPECT_DOUBLE_EQ(FitThreshold({Score(0.3f)}, options).threshold, 0.8);
  fit = FitThreshold({Score(1.0f), Score(0.2f)}, options);
  EXPECT_DOUBLE_EQ(fit.threshold, 1.0);
  EXPECT_FALSE(fit.target_met);
  EXPECT_EQ(fit.wrong_hits, 1u);
}

TEST(ThresholdFitTest, RoutesWithEnoughNearMissesGetTheirOwnThreshold) {
  std::vector<LabelledPair> pairs;
  std::vector<PairScore> scores;
  auto add = [&](const std::string& route, bool same, float similarity) {
    pairs.push_back({"a", "b", same, route});
    scores.push_back(Score(similarity));
  };
  for (int i = 0; i < 3; ++i) add("strict", false, 0.9f);
  add("strict", true, 0.95f);
  add("strict", true, 0.85f);
  add("sparse", false, 0.7f);
  add("sparse", true, 0.75f);
  add("", false, 0.97f);  // No route: only ever the overall threshold.
  add("", false, 0.97f);
  add("", false, 0.97f);
  const std::vector<bool> held_out(pairs.size(), false);
  ThresholdFitOptions options;
  options.min_route_negatives = 3;
  auto fit = FitCacheThresholds(pairs, scores, held_out, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_DOUBLE_EQ(fit->overall.threshold, 0.9701);
  EXPECT_EQ(fit->route_thresholds(), (std::map<std::string, double>{{"strict", 0.9001}}));
  ASSERT_EQ(fit->routes.size(), 3u);
  EXPECT_EQ(fit->routes[0].route, "");
  EXPECT_EQ(fit->routes[1].route, "sparse");
  EXPECT_FALSE(fit->routes[1].own);
  EXPECT_DOUBLE_EQ(fit->routes[1].threshold, 0.9701);
  EXPECT_EQ(fit->routes[2].fitted.hits, 1u);  // 0.95 served, 0.85 not.
  EXPECT_EQ(fit->fitted.positives, 3u);
  EXPECT_EQ(fit->fitted.hits, 1u);
  EXPECT_EQ(fit->held_out.positives, 0u);

  std::vector<LabelledPair> only_true = {{"a", "a", true, ""}};
  EXPECT_THAT(FitCacheThresholds(only_true, {Score(1)}, {false}, options).status().message(),
              ::testing::HasSubstr("no near-miss"));
}

TEST(ThresholdFitTest, HoldOutIsStratifiedAndSeeded) {
  std::vector<LabelledPair> pairs;
  for (int i = 0; i < 10; ++i) pairs.push_back({"a", "b", true, "r"});
  for (int i = 0; i < 20; ++i) pairs.push_back({"a", "b", false, "r"});
  for (int i = 0; i < 5; ++i) pairs.push_back({"a", "b", false, "s"});
  pairs.push_back({"a", "b", true, "s"});  // Alone in its group: never held out.
  const std::vector<bool> held = HoldOut(pairs, 0.3, 7);
  auto count = [&](size_t begin, size_t end) {
    return std::count(held.begin() + begin, held.begin() + end, true);
  };
  EXPECT_EQ(count(0, 10), 3);
  EXPECT_EQ(count(10, 30), 6);
  EXPECT_EQ(count(30, 35), 2);
  EXPECT_FALSE(held[35]);
  EXPECT_EQ(HoldOut(pairs, 0.3, 7), held);
  EXPECT_NE(HoldOut(pairs, 0.3, 8), held);
}

}  // namespace
}  // namespace cascade::cache
