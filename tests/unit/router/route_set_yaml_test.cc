#include "services/router/lib/route_set_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(default: {name: general, start_tier: small}
routes:
  - name: billing
    utterances: ["why was I charged twice", "update my card"]
    start_tier: small
    threshold: 0.4
  - name: legal
    utterances:
      - review this contract
      - yes
    tier: large
  - name: chat
    utterances: [hello]
)";

TEST(RouteSetYamlTest, ParsesRoutesTargetsThresholdsAndDefault) {
  absl::StatusOr<RouteSet> set = ParseRouteSetYaml(kGood, "routes.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->routes.size(), 3u);
  EXPECT_EQ(set->routes[0].name, "billing");
  EXPECT_EQ(set->routes[0].target, RouteTarget::StartTier("small"));
  EXPECT_DOUBLE_EQ(set->routes[0].threshold, 0.4);
  EXPECT_EQ(set->routes[1].target, RouteTarget::FixedTier("large"));
  EXPECT_EQ(set->routes[1].utterances[1], "yes");  // Stays text.
  EXPECT_EQ(set->routes[2].target, RouteTarget::None());
  EXPECT_DOUBLE_EQ(set->routes[2].threshold, 0.0);
  EXPECT_EQ(set->default_route.name, "general");
  EXPECT_EQ(set->default_route.target, RouteTarget::StartTier("small"));
}

TEST(RouteSetYamlTest, DefaultMayBeAPlainName) {
  absl::StatusOr<RouteSet> set =
      ParseRouteSetYaml("default: other\nroutes:\n  - {name: a, utterances: [x]}\n", "r.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->default_route.name, "other");
  EXPECT_EQ(set->default_route.target, RouteTarget::None());
}

TEST(RouteSetYamlTest, WritesWhatItReads) {
  absl::StatusOr<RouteSet> set = ParseRouteSetYaml(kGood, "routes.yaml");
  ASSERT_TRUE(set.ok()) << set.status();
  set->routes[2].utterances.push_back("quotes \" and: colons # and 'apostrophes'");
  const std::string yaml = RouteSetToYaml(*set);
  absl::StatusOr<RouteSet> again = ParseRouteSetYaml(yaml, "written.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_EQ(*again, *set) << yaml;
}

TEST(RouteSetYamlTest, WritesFilesAtomicallyAndLoadsThem) {
  absl::StatusOr<RouteSet> set = ParseRouteSetYaml(kGood, "routes.yaml");
  ASSERT_TRUE(set.ok());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("cascade_routes_" + std::to_string(getpid()) + ".yaml"))
                               .string();
  ASSERT_TRUE(WriteRouteSetFile(*set, path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  absl::StatusOr<RouteSet> loaded = LoadRouteSetFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, *set);
  std::filesystem::remove(path);
  EXPECT_EQ(LoadRouteSetFile(path).status().code(), absl::StatusCode::kNotFound);
}

struct BadFile {
  const char* what;
  const char* yaml;
  const char* message;  // Expected in the error, with the file and line.
};

class RouteSetYamlErrorTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(RouteSetYamlErrorTest, NamesFileLineAndProblem) {
  absl::StatusOr<RouteSet> set = ParseRouteSetYaml(GetParam().yaml, "routes.yaml");
  ASSERT_FALSE(set.ok()) << GetParam().what;
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(set.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, RouteSetYamlErrorTest,
    ::testing::Values(
        BadFile{"duplicate name",
                "routes:\n  - {name: a, utterances: [x]}\n  - {name: b, utterances: [y]}\n"
                "  - {name: a, utterances: [z]}\n",
                "routes.yaml:4: route 'a' is defined twice (first at line 2)"},
        BadFile{"no utterances", "routes:\n  - name: a\n    start_tier: small\n",
                "routes.yaml:2: route 'a' has no utterances"},
        BadFile{"empty utterance list", "routes:\n  - name: a\n    utterances: []\n",
                "routes.yaml:2: route 'a' has no utterances"},
        BadFile{"both targets",
                "routes:\n  - name: a\n    utterances: [x]\n    start_tier: small\n"
                "    tier: large\n",
                "routes.yaml:5: route 'a' has both `start_tier` and `tier`"},
        BadFile{"unknown route key", "routes:\n  - name: a\n    utterance: [x]\n",
                "routes.yaml:3: unknown key 'utterance' in a route"},
        BadFile{"unknown top-level key", "routes: []\nrouts: []\n",
                "routes.yaml:2: unknown key 'routs'"},
        BadFile{"syntax error", "routes:\n  - name: [a\n", "routes.yaml:"},
        BadFile{"threshold out of range",
                "routes:\n  - name: a\n    utterances: [x]\n    threshold: 1.5\n",
                "routes.yaml:4: `threshold` 1.5 is outside [-1, 1]"},
        BadFile{"quoted threshold",
                "routes:\n  - name: a\n    utterances: [x]\n    threshold: \"0.5\"\n",
                "routes.yaml:4: `threshold` must be a number"},
        BadFile{"route without name", "routes:\n  - utterances: [x]\n",
                "routes.yaml:2: a route has no `name`"},
        BadFile{"default clashes with a route",
                "default: a\nroutes:\n  - {name: a, utterances: [x]}\n",
                "routes.yaml: route 'a' has the default route's name"},
        BadFile{"not a mapping", "- a\n- b\n", "routes.yaml:1: expected a mapping"}));

}  // namespace
}  // namespace cascade::router
