#include "services/router/lib/route_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

RouteSpec Route(const std::string& name, std::vector<std::string> utterances) {
  RouteSpec route;
  route.name = name;
  route.utterances = std::move(utterances);
  return route;
}

TEST(RouteSetTest, UpsertReplacesInPlaceAndAppendsNew) {
  RouteSet set;
  set.routes = {Route("a", {"x"}), Route("b", {"y"})};
  RouteSpec new_b = Route("b", {"y2"});
  new_b.target = RouteTarget::FixedTier("large");
  ASSERT_TRUE(UpsertRoutes(set, {new_b, Route("c", {"z"})}).ok());
  ASSERT_EQ(set.routes.size(), 3u);
  EXPECT_EQ(set.routes[1], new_b);
  EXPECT_EQ(set.routes[2].name, "c");
  EXPECT_EQ(set.exemplar_count(), 3u);
}

TEST(RouteSetTest, UpsertRejectsBadRoutesAndLeavesSetAlone) {
  RouteSet set;
  set.routes = {Route("a", {"x"})};
  const RouteSet before = set;
  absl::Status status = UpsertRoutes(set, {Route("b", {})});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("route 'b' has no utterances"));
  status = UpsertRoutes(set, {Route("b", {"1"}), Route("b", {"2"})});
  EXPECT_THAT(std::string(status.message()), HasSubstr("appears twice"));
  status = UpsertRoutes(set, {Route("default", {"1"})});
  EXPECT_THAT(std::string(status.message()), HasSubstr("default route's name"));
  status = UpsertRoutes(set, {Route("c", {"ok", ""})});
  EXPECT_THAT(std::string(status.message()), HasSubstr("utterance 1 is empty"));
  EXPECT_EQ(set, before);
}

TEST(RouteSetTest, DeleteNamesMissingRoute) {
  RouteSet set;
  set.routes = {Route("a", {"x"})};
  EXPECT_EQ(DeleteRoute(set, "nope").code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(DeleteRoute(set, "a").ok());
  EXPECT_TRUE(set.routes.empty());
}

TEST(RouteSetTest, ValidateNamesDuplicates) {
  RouteSet set;
  set.routes = {Route("a", {"x"}), Route("a", {"y"})};
  EXPECT_THAT(std::string(ValidateRouteSet(set).message()), HasSubstr("'a' is defined twice"));
}

}  // namespace
}  // namespace cascade::router
