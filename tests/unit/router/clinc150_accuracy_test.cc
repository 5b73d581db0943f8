// CLINC150 (Larson et al. 2019, CC BY 3.0): routes built from the train split (150
// intents, 15,000 exemplars), thresholds fitted on val + oos_val, judged on test +
// oos_test. Nothing is tuned on test. Fails if in-scope accuracy drops below 88%.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "services/router/lib/labeled_queries.h"
#include "services/router/lib/route_index.h"
#include "services/router/lib/threshold_fitter.h"
#include "tools/bench/router/clinc150.h"

namespace cascade::router {
namespace {

std::vector<LabeledQuery> Concat(std::vector<LabeledQuery> a, const std::vector<LabeledQuery>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Clinc150AccuracyTest, InScopeAccuracyOnTestIsAtLeast88Percent) {
  using Clock = std::chrono::steady_clock;
  absl::StatusOr<bench::Clinc150> data = bench::LoadClinc150(bench::DefaultClinc150Path());
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->train.size(), 15000u);

  auto start = Clock::now();
  absl::StatusOr<std::shared_ptr<const RouteIndex>> index =
      RouteIndex::Build(RouteSetFromLabeledQueries(data->train), RouteIndexOptions{});
  ASSERT_TRUE(index.ok()) << index.status();
  const double build_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ((*index)->routes().routes.size(), 150u);

  absl::StatusOr<std::vector<ScoredQuery>> val =
      ScoreLabeledQueries(**index, Concat(data->val, data->oos_val));
  ASSERT_TRUE(val.ok()) << val.status();
  absl::StatusOr<ThresholdFit> fit = FitThresholds(*val, ThresholdFitOptions{});
  ASSERT_TRUE(fit.ok()) << fit.status();

  start = Clock::now();
  absl::StatusOr<std::vector<ScoredQuery>> test =
      ScoreLabeledQueries(**index, Concat(data->test, data->oos_test));
  ASSERT_TRUE(test.ok()) << test.status();
  const double route_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const RoutingQuality unthresholded = MeasureRoutingQuality(*test, ThresholdFit{-2.0, {}});
  const RoutingQuality quality = MeasureRoutingQuality(*test, *fit);
  std::printf(
      "CLINC150 test, scorer %s, %zu exemplars (%s), build %.1f s, %.2f ms/query:\n"
      "  in-scope accuracy %.4f (%.4f without thresholds)\n"
      "  out-of-scope precision %.4f, recall %.4f (global threshold %.4f, %zu per-route)\n",
      (*index)->scorer_name().c_str(), (*index)->exemplars(),
      (*index)->uses_hnsw() ? "HNSW" : "flat", build_seconds, 1e3 * route_seconds / test->size(),
      quality.in_scope_accuracy(), unthresholded.in_scope_accuracy(),
      quality.out_of_scope_precision(), quality.out_of_scope_recall(), fit->global_threshold,
      fit->route_thresholds.size());
  EXPECT_GE(quality.in_scope_accuracy(), 0.88);
  // Thresholds must catch a fair share of out-of-scope queries without rejecting
  // in-scope ones wholesale.
  EXPECT_GE(quality.out_of_scope_recall(), 0.3);
  EXPECT_GE(quality.out_of_scope_precision(), 0.3);
}

}  // namespace
}  // namespace cascade::router
