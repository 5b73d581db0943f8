#include "services/router/lib/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "services/router/lib/route_set_yaml.h"

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

constexpr char kRoutes[] = R"(default: {name: general, start_tier: small}
routes:
  - name: weather
    start_tier: small
    utterances:
      - what's the weather like tomorrow
      - will it rain in Paris this weekend
      - is it going to be sunny today
      - how cold is it outside
      - weather forecast for Berlin
  - name: billing
    tier: large
    utterances:
      - why was my credit card charged twice
      - when is my electricity bill due
      - I want to pay my phone bill
      - update the card on my account
      - refund the last payment
  - name: code
    utterances:
      - write a python function to sort a list
      - fix this segfault in my C++ program
      - how do I reverse a string in JavaScript
      - explain this compiler error
      - write a unit test for this function
)";

RouteSet TestRoutes() {
  absl::StatusOr<RouteSet> set = ParseRouteSetYaml(kRoutes, "test");
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

std::unique_ptr<Router> MakeRouter(RouterOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(TestRoutes(), options);
  EXPECT_TRUE(router.ok()) << router.status();
  return std::move(*router);
}

TEST(RouterTest, RoutesToTheMatchingRouteWithItsTarget) {
  std::unique_ptr<Router> router = MakeRouter();
  absl::StatusOr<Decision> weather = router->Route("will it rain tomorrow in Paris?");
  ASSERT_TRUE(weather.ok()) << weather.status();
  EXPECT_EQ(weather->route, "weather");
  EXPECT_EQ(weather->best_route, "weather");
  EXPECT_EQ(weather->target, RouteTarget::StartTier("small"));
  EXPECT_FALSE(weather->below_threshold);
  EXPECT_EQ(weather->matched_example, "will it rain in Paris this weekend");
  ASSERT_EQ(weather->alternatives.size(), 2u);  // The two other routes.
  EXPECT_GE(weather->score, weather->alternatives[0].score);
  EXPECT_GE(weather->alternatives[0].score, weather->alternatives[1].score);
  EXPECT_GT(weather->embed_seconds, 0.0);
  EXPECT_GT(weather->search_seconds, 0.0);

  absl::StatusOr<Decision> billing = router->Route("my card was charged twice, refund it");
  ASSERT_TRUE(billing.ok());
  EXPECT_EQ(billing->route, "billing");
  EXPECT_EQ(billing->target, RouteTarget::FixedTier("large"));

  absl::StatusOr<Decision> code = router->Route("write a function in python");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->route, "code");
  EXPECT_EQ(code->target, RouteTarget::None());
}

TEST(RouterTest, BelowThresholdTakesTheDefaultRoute) {
  RouteSet routes = TestRoutes();
  for (RouteSpec& route : routes.routes) route.threshold = 0.99;
  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(routes, {});
  ASSERT_TRUE(router.ok());
  absl::StatusOr<Decision> decision = (*router)->Route("will it rain tomorrow?");
  ASSERT_TRUE(decision.ok());
  EXPECT_TRUE(decision->below_threshold);
  EXPECT_EQ(decision->route, "general");
  EXPECT_EQ(decision->target, RouteTarget::StartTier("small"));
  EXPECT_EQ(decision->best_route, "weather");
  // The best route leads the alternatives when none was chosen.
  ASSERT_FALSE(decision->alternatives.empty());
  EXPECT_EQ(decision->alternatives[0].route, "weather");
}

TEST(RouterTest, DefaultThresholdAppliesToRoutesWithoutOne) {
  RouterOptions options;
  options.index.default_threshold = 0.99;
  std::unique_ptr<Router> router = MakeRouter(options);
  absl::StatusOr<Decision> decision = router->Route("will it rain tomorrow?");
  ASSERT_TRUE(decision.ok());
  EXPECT_TRUE(decision->below_threshold);
}

TEST(RouterTest, EveryScorerAndIndexKindRoutes) {
  for (ScorerKind kind : {ScorerKind::kKnnVote, ScorerKind::kLinear, ScorerKind::kBlend}) {
    for (VoteMode vote : {VoteMode::kMax, VoteMode::kMean, VoteMode::kSum}) {
      for (size_t hnsw_from : {size_t{1}, size_t{1000}}) {
        RouterOptions options;
        options.index.scorer.kind = kind;
        options.index.scorer.vote = vote;
        options.index.index.hnsw_min_exemplars = hnsw_from;
        options.index.default_threshold = -1.0;
        std::unique_ptr<Router> router = MakeRouter(options);
        EXPECT_EQ(router->Snapshot()->uses_hnsw(), hnsw_from == 1);
        absl::StatusOr<Decision> decision = router->Route("what's the weather forecast today");
        ASSERT_TRUE(decision.ok());
        EXPECT_EQ(decision->route, "weather") << router->Snapshot()->scorer_name();
      }
    }
  }
}

TEST(RouterTest, RejectsBadQueries) {
  std::unique_ptr<Router> router = MakeRouter();
  EXPECT_EQ(router->Route("").status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status too_big = router->Route(std::string(1 << 20, 'x')).status();
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_big.message()), HasSubstr("max_query_bytes = 8192"));
  EXPECT_EQ(router->Route("bad \xc3\x28").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RouterTest, QueryWithoutWordsTakesTheDefaultRoute) {
  std::unique_ptr<Router> router = MakeRouter();
  absl::StatusOr<Decision> decision = router->Route("?!?");
  ASSERT_TRUE(decision.ok());
  EXPECT_TRUE(decision->below_threshold);
  EXPECT_EQ(decision->route, "general");
}

TEST(RouterTest, UpsertDeleteAndList) {
  std::unique_ptr<Router> router = MakeRouter();
  RouteSpec sports;
  sports.name = "sports";
  sports.utterances = {"who won the football match", "basketball scores tonight",
                       "when does the tennis final start"};
  sports.target = RouteTarget::FixedTier("small");
  absl::StatusOr<size_t> exemplars = router->Upsert({sports});
  ASSERT_TRUE(exemplars.ok()) << exemplars.status();
  EXPECT_EQ(*exemplars, 18u);
  absl::StatusOr<Decision> decision = router->Route("who won the basketball match");
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->route, "sports");
  EXPECT_EQ(router->List().routes.size(), 4u);

  EXPECT_TRUE(router->Delete("sports").ok());
  EXPECT_EQ(router->Delete("sports").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(router->List(), TestRoutes());
  RouteSpec empty;
  empty.name = "empty";
  EXPECT_EQ(router->Upsert({empty}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router->List(), TestRoutes());  // A failed update changes nothing.
}

TEST(RouterTest, EmptyRouteSetAlwaysTakesTheDefault) {
  RouteSet routes;
  routes.default_route.target = RouteTarget::StartTier("small");
  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(routes, {});
  ASSERT_TRUE(router.ok()) << router.status();
  absl::StatusOr<Decision> decision = (*router)->Route("anything");
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(decision->route, "default");
  EXPECT_TRUE(decision->below_threshold);
  EXPECT_EQ(decision->target, RouteTarget::StartTier("small"));
}

TEST(RouterTest, MaxAlternativesLimitsTheAlternatives) {
  for (size_t max_alternatives : {size_t{0}, size_t{1}, size_t{2}, size_t{5}}) {
    RouterOptions options;
    options.index.max_alternatives = max_alternatives;
    options.index.default_threshold = -1.0;
    std::unique_ptr<Router> router = MakeRouter(options);
    absl::StatusOr<Decision> decision = router->Route("what's the weather forecast today");
    ASSERT_TRUE(decision.ok());
    EXPECT_EQ(decision->route, "weather");
    // Three routes: the best one and at most two others.
    EXPECT_EQ(decision->alternatives.size(), std::min<size_t>(max_alternatives, 2));
  }
}

TEST(RouterTest, RejectsBadRouteSetsAndOptions) {
  RouteSet routes = TestRoutes();
  routes.routes.push_back(routes.routes[0]);
  EXPECT_EQ(Router::Create(routes, {}).status().code(), absl::StatusCode::kInvalidArgument);
  RouterOptions options;
  options.index.top_k = 0;
  EXPECT_EQ(Router::Create(TestRoutes(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::router
