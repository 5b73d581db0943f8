#include "services/router/lib/threshold_fitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/router/lib/labeled_queries.h"

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

// In-scope queries routed right score 0.6..0.9; out-of-scope ones 0.1..0.3.
std::vector<ScoredQuery> Separable() {
  std::vector<ScoredQuery> queries;
  for (double score : {0.6, 0.7, 0.8, 0.9}) queries.push_back({"a", score, "a"});
  for (double score : {0.65, 0.75, 0.85}) queries.push_back({"b", score, "b"});
  for (double score : {0.1, 0.2, 0.3}) queries.push_back({"a", score, ""});
  queries.push_back({"b", 0.7, "a"});  // Misrouted: wrong whatever the threshold.
  return queries;
}

TEST(ThresholdFitterTest, GlobalThresholdSeparatesInScopeFromOutOfScope) {
  ThresholdFitOptions options;
  options.per_route = false;
  absl::StatusOr<ThresholdFit> fit = FitThresholds(Separable(), options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_GT(fit->global_threshold, 0.3);
  EXPECT_LT(fit->global_threshold, 0.6);
  const RoutingQuality quality = MeasureRoutingQuality(Separable(), *fit);
  EXPECT_EQ(quality.in_scope, 8u);
  EXPECT_EQ(quality.in_scope_correct, 7u);
  EXPECT_DOUBLE_EQ(quality.out_of_scope_recall(), 1.0);
  EXPECT_DOUBLE_EQ(quality.out_of_scope_precision(), 1.0);
  EXPECT_DOUBLE_EQ(quality.accuracy(), 10.0 / 11.0);
}

TEST(ThresholdFitterTest, PerRouteThresholdOnlyWhenItClearlyHelps) {
  // Route "b" sees out-of-scope queries scoring up to 0.45, below all its right ones; route
  // "a" has right queries down to 0.2, so one global threshold cannot serve both.
  std::vector<ScoredQuery> queries;
  for (int i = 0; i < 15; ++i) queries.push_back({"a", 0.2 + 0.03 * i, "a"});
  for (int i = 0; i < 10; ++i) queries.push_back({"b", 0.6 + 0.03 * i, "b"});
  for (int i = 0; i < 6; ++i) queries.push_back({"b", 0.35 + 0.02 * i, ""});
  queries.push_back({"a", 0.1, ""});
  ThresholdFitOptions options;
  options.min_route_queries = 5;
  absl::StatusOr<ThresholdFit> fit = FitThresholds(queries, options);
  ASSERT_TRUE(fit.ok());
  ASSERT_TRUE(fit->route_thresholds.contains("b"));
  EXPECT_GT(fit->route_thresholds.at("b"), 0.45);
  EXPECT_LT(fit->route_thresholds.at("b"), 0.6);
  EXPECT_FALSE(fit->route_thresholds.contains("a"));
  EXPECT_LT(fit->ThresholdFor("a"), 0.2);
  const RoutingQuality quality = MeasureRoutingQuality(queries, *fit);
  EXPECT_EQ(quality.in_scope_correct, 25u);
  EXPECT_EQ(quality.out_of_scope_rejected, 7u);
}

TEST(ThresholdFitterTest, BalancedObjectiveWeighsRareOutOfScopeQueriesUp) {
  // One out-of-scope query scoring above two right in-scope ones: plain accuracy keeps
  // the two, balanced accuracy rejects the one.
  std::vector<ScoredQuery> queries;
  for (double score : {0.2, 0.25}) queries.push_back({"a", score, "a"});
  for (int i = 0; i < 20; ++i) queries.push_back({"a", 0.8, "a"});
  queries.push_back({"a", 0.3, ""});
  ThresholdFitOptions options;
  options.per_route = false;
  EXPECT_LT(FitThresholds(queries, options)->global_threshold, 0.2);
  options.objective = ThresholdObjective::kBalancedAccuracy;
  EXPECT_GT(FitThresholds(queries, options)->global_threshold, 0.3);
}

TEST(ThresholdFitterTest, ApplyWritesThresholdsIntoRoutes) {
  RouteSet routes = RouteSetFromLabeledQueries({{"x", "a"}, {"y", "b"}, {"z", "oos"}});
  ASSERT_EQ(routes.routes.size(), 2u);
  ThresholdFit fit{0.25, {{"b", 0.5}}};
  ApplyThresholds(fit, routes);
  EXPECT_DOUBLE_EQ(routes.routes[0].threshold, 0.25);
  EXPECT_DOUBLE_EQ(routes.routes[1].threshold, 0.5);
  ApplyThresholds(ThresholdFit{0.0, {}}, routes);
  EXPECT_GT(routes.routes[0].threshold, 0.0);  // 0 would mean "router default".
}

TEST(ThresholdFitterTest, ScoringNamesUnknownLabels) {
  RouteSet routes = RouteSetFromLabeledQueries({{"pay my bill", "billing"}, {"rain", "weather"}});
  absl::StatusOr<std::shared_ptr<const RouteIndex>> index = RouteIndex::Build(routes, {});
  ASSERT_TRUE(index.ok());
  absl::StatusOr<std::vector<ScoredQuery>> scored =
      ScoreLabeledQueries(**index, {{"pay the bill", "billing"}, {"joke", "oos"}});
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_EQ((*scored)[0].best_route, "billing");
  EXPECT_EQ((*scored)[0].label, "billing");
  EXPECT_EQ((*scored)[1].label, "");
  absl::Status status = ScoreLabeledQueries(**index, {{"x", "biling"}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("label 'biling' names no route"));
}

TEST(ThresholdFitterTest, NeedsQueries) {
  EXPECT_EQ(FitThresholds({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LabeledQueriesTest, ParsesJsonLinesAndNamesBadLines) {
  absl::StatusOr<std::vector<LabeledQuery>> queries = ParseLabeledQueriesJsonl(
      "{\"text\": \"pay my bill\", \"label\": \"billing\"}\n\n{\"label\": \"oos\", \"text\": "
      "\"hi\"}\n",
      "data.jsonl");
  ASSERT_TRUE(queries.ok()) << queries.status();
  ASSERT_EQ(queries->size(), 2u);
  EXPECT_EQ((*queries)[1].label, "oos");
  EXPECT_THAT(
      std::string(ParseLabeledQueriesJsonl("{\"text\": \"a\", \"label\": \"b\"}\n{oops\n", "d")
                      .status()
                      .message()),
      HasSubstr("d:2: not valid JSON"));
  EXPECT_THAT(std::string(ParseLabeledQueriesJsonl("{\"text\": \"a\"}", "d").status().message()),
              HasSubstr("d:1: both `text` and `label` are required"));
  EXPECT_THAT(
      std::string(ParseLabeledQueriesJsonl("{\"text\": \"a\", \"label\": \"b\", \"x\": 1}", "d")
                      .status()
                      .message()),
      HasSubstr("unknown key 'x'"));
}

}  // namespace
}  // namespace cascade::router
