#include "services/router/router_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "services/router/lib/route_set_yaml.h"

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

TEST(RouterOptionsTest, DefaultsWhenUnset) {
  absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(v1::RouterConfig{});
  ASSERT_TRUE(options.ok()) << options.status();
  const RouterOptions defaults;
  EXPECT_EQ(options->index.index.hnsw_m, defaults.index.index.hnsw_m);
  EXPECT_EQ(options->index.index.hnsw_ef_construction, defaults.index.index.hnsw_ef_construction);
  EXPECT_EQ(options->index.index.hnsw_ef_search, defaults.index.index.hnsw_ef_search);
  EXPECT_EQ(options->index.scorer.linear.epochs, 10);
  EXPECT_EQ(options->index.scorer.linear.l2, 0.0);
  EXPECT_EQ(options->index.scorer.linear_weight, 0.8);
  EXPECT_EQ(options->index.max_alternatives, 3u);
}

TEST(RouterOptionsTest, SetsTheIndexAndScorerFields) {
  v1::RouterConfig config;
  config.set_hnsw_m(24);
  config.set_hnsw_ef_construction(100);
  config.set_hnsw_ef_search(200);
  config.set_linear_epochs(25);
  config.set_linear_l2(1e-4);
  config.set_blend_linear_weight(0.0);  // Set, not unset: neighbour votes only.
  config.set_max_alternatives(0);
  absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->index.index.hnsw_m, 24);
  EXPECT_EQ(options->index.index.hnsw_ef_construction, 100);
  EXPECT_EQ(options->index.index.hnsw_ef_search, 200);
  EXPECT_EQ(options->index.scorer.linear.epochs, 25);
  EXPECT_EQ(options->index.scorer.linear.l2, 1e-4);
  EXPECT_EQ(options->index.scorer.linear_weight, 0.0);
  EXPECT_EQ(options->index.max_alternatives, 0u);
}

struct BadValue {
  std::string field;
  std::function<void(v1::RouterConfig&)> set;
  std::string message;
};

TEST(RouterOptionsTest, RejectsValuesOutOfRangeNamingTheField) {
  const std::vector<BadValue> cases = {
      {"hnsw_m", [](auto& c) { c.set_hnsw_m(1); }, "hnsw_m 1 is outside [2, 128]"},
      {"hashed_dimensions", [](auto& c) { c.set_hashed_dimensions(8); },
       "hashed_dimensions 8 is outside [16, 8192]"},
      {"hashed_dimensions", [](auto& c) { c.set_hashed_dimensions(8193); },
       "hashed_dimensions 8193 is outside [16, 8192]"},
      {"hashed_dimensions",
       [](auto& c) {
         c.set_embedder("openai");
         c.set_hashed_dimensions(256);
       },
       "hashed_dimensions is set but embedder is `openai`"},
      {"hnsw_m", [](auto& c) { c.set_hnsw_m(129); }, "hnsw_m 129 is outside [2, 128]"},
      {"hnsw_m", [](auto& c) { c.set_hnsw_m(-3); }, "hnsw_m -3 is outside [2, 128]"},
      {"hnsw_ef_construction", [](auto& c) { c.set_hnsw_ef_construction(-1); },
       "hnsw_ef_construction -1 is outside [1, 4096]"},
      {"hnsw_ef_construction", [](auto& c) { c.set_hnsw_ef_construction(5000); },
       "hnsw_ef_construction 5000 is outside [1, 4096]"},
      {"hnsw_ef_search", [](auto& c) { c.set_hnsw_ef_search(-1); },
       "hnsw_ef_search -1 is outside [1, 4096]"},
      {"hnsw_ef_search", [](auto& c) { c.set_hnsw_ef_search(4097); },
       "hnsw_ef_search 4097 is outside [1, 4096]"},
      {"linear_epochs", [](auto& c) { c.set_linear_epochs(-2); },
       "linear_epochs -2 is outside [1, 1000]"},
      {"linear_epochs", [](auto& c) { c.set_linear_epochs(1001); },
       "linear_epochs 1001 is outside [1, 1000]"},
      {"linear_l2", [](auto& c) { c.set_linear_l2(-0.001); },
       "linear_l2 -0.001 is outside [0, 0.1]"},
      {"linear_l2", [](auto& c) { c.set_linear_l2(0.5); }, "linear_l2 0.5 is outside [0, 0.1]"},
      {"linear_l2", [](auto& c) { c.set_linear_l2(std::nan("")); }, "linear_l2 nan"},
      {"blend_linear_weight", [](auto& c) { c.set_blend_linear_weight(1.5); },
       "blend_linear_weight 1.5 is outside [0, 1]"},
      {"blend_linear_weight", [](auto& c) { c.set_blend_linear_weight(-0.1); },
       "blend_linear_weight -0.1 is outside [0, 1]"},
      {"max_alternatives", [](auto& c) { c.set_max_alternatives(-1); },
       "max_alternatives -1 is outside [0, 100]"},
      {"max_alternatives", [](auto& c) { c.set_max_alternatives(101); },
       "max_alternatives 101 is outside [0, 100]"},
  };
  for (const BadValue& bad : cases) {
    v1::RouterConfig config;
    bad.set(config);
    absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(config);
    ASSERT_FALSE(options.ok()) << bad.field;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_THAT(options.status().message(), HasSubstr("router config: " + bad.message));
  }
}

TEST(RouterOptionsTest, AcceptsTheRangeBounds) {
  v1::RouterConfig config;
  config.set_hnsw_m(2);
  config.set_hnsw_ef_construction(1);
  config.set_hnsw_ef_search(1);
  config.set_linear_epochs(1);
  config.set_linear_l2(0.1);
  config.set_blend_linear_weight(1.0);
  config.set_max_alternatives(100);
  EXPECT_TRUE(RouterOptionsFromConfig(config).ok());
  config.set_hnsw_m(128);
  config.set_hnsw_ef_construction(4096);
  config.set_hnsw_ef_search(4096);
  config.set_linear_epochs(1000);
  config.set_linear_l2(0.0);
  config.set_blend_linear_weight(0.0);
  config.set_max_alternatives(0);
  EXPECT_TRUE(RouterOptionsFromConfig(config).ok());
}

// The configured options reach the built index: HNSW with the configured graph, the
// blend's weight in the scorer's name, the alternatives' limit in decisions.
TEST(RouterOptionsTest, ConfiguredOptionsBuildARouter) {
  absl::StatusOr<RouteSet> routes = ParseRouteSetYaml(R"(default: {name: general}
routes:
  - name: weather
    utterances: [will it rain tomorrow, weather forecast for Paris, is it sunny today]
  - name: billing
    utterances: [pay my phone bill, refund the last payment, my card was charged twice]
  - name: code
    utterances: [write a python function, fix this segfault, explain this compiler error]
)",
                                                      "test");
  ASSERT_TRUE(routes.ok()) << routes.status();
  v1::RouterConfig config;
  config.set_hnsw_min_exemplars(1);
  config.set_hnsw_m(4);
  config.set_hnsw_ef_construction(8);
  config.set_hnsw_ef_search(8);
  config.set_linear_epochs(20);
  config.set_linear_l2(1e-3);
  config.set_blend_linear_weight(0.5);
  config.set_max_alternatives(1);
  config.set_default_threshold(-1.0);
  config.set_hashed_dimensions(128);
  absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  const std::vector<std::string> texts = {"will it rain", "pay my bill"};
  auto embedder = options->index.embedder(texts);
  ASSERT_TRUE(embedder.ok()) << embedder.status();
  EXPECT_EQ((*embedder)->dimension(), 128u);
  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(*routes, *options);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_TRUE((*router)->Snapshot()->uses_hnsw());
  EXPECT_THAT((*router)->Snapshot()->scorer_name(), HasSubstr("0.5*linear"));
  absl::StatusOr<Decision> decision = (*router)->Route("will it rain in Paris");
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->route, "weather");
  EXPECT_EQ(decision->alternatives.size(), 1u);
}

}  // namespace
}  // namespace cascade::router
