// Route changes from gRPC and from the routes file: hot reload, a bad file keeping the old
// routes (logged and counted), write-back, and a failed write-back rolled back.

#include "services/router/route_updater.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "services/router/lib/route_set_yaml.h"

namespace cascade::router {
namespace {

namespace fs = std::filesystem;

constexpr char kTwoRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances: ["hello there", "good morning", "hi how are you"]
    start_tier: small
  - name: code
    utterances: ["write a python function", "fix this segfault in my C code"]
    start_tier: large
)";

constexpr char kThreeRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances: ["hello there", "good morning", "hi how are you"]
    start_tier: small
  - name: code
    utterances: ["write a python function", "fix this segfault in my C code"]
    start_tier: large
  - name: weather
    utterances: ["will it rain tomorrow", "weather forecast for Paris"]
    tier: small
)";

double MetricValue(prometheus::Registry& registry, const std::string& name) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const prometheus::ClientMetric& metric = family.metric.front();
    return family.type == prometheus::MetricType::Gauge ? metric.gauge.value : metric.counter.value;
  }
  return -1.0;
}

class RouteUpdaterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("updater_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    routes_file_ = (dir_ / "routes.yaml").string();
    Write(kTwoRoutes);
    absl::StatusOr<RouteSet> routes = LoadRouteSetFile(routes_file_);
    ASSERT_TRUE(routes.ok()) << routes.status();
    absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(*routes, RouterOptions{});
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = *std::move(router);
    metrics_ = std::make_shared<RouterMetrics>(registry_);
  }

  void Write(const std::string& yaml) { std::ofstream(routes_file_) << yaml; }
  std::vector<std::string> RouteNames() {
    std::vector<std::string> names;
    for (const RouteSpec& route : router_->List().routes) names.push_back(route.name);
    return names;
  }

  fs::path dir_;
  std::string routes_file_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::shared_ptr<Router> router_;
  std::shared_ptr<RouterMetrics> metrics_;
};

TEST_F(RouteUpdaterTest, SetsTheExemplarGaugeAtStart) {
  RouteUpdater updater(router_, metrics_, "");
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_exemplars"), 5.0);
}

TEST_F(RouteUpdaterTest, ReloadSwapsInTheChangedFile) {
  RouteUpdater updater(router_, metrics_, "");
  Write(kThreeRoutes);
  ASSERT_TRUE(updater.ReloadFile(routes_file_).ok());
  EXPECT_EQ(RouteNames(), (std::vector<std::string>{"greetings", "code", "weather"}));
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_reloads_total"), 1.0);
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_exemplars"), 7.0);
}

TEST_F(RouteUpdaterTest, ReloadOfAnUnchangedSetRebuildsNothing) {
  RouteUpdater updater(router_, metrics_, "");
  const auto before = router_->Snapshot();
  ASSERT_TRUE(updater.ReloadFile(routes_file_).ok());
  EXPECT_EQ(router_->Snapshot(), before);
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_reloads_total"), 0.0);
}

TEST_F(RouteUpdaterTest, BadFileKeepsTheRoutesInServiceAndCountsTheFailure) {
  RouteUpdater updater(router_, metrics_, "");
  Write("routes:\n  - name: a\n    utterances: [x]\n  - name: a\n    utterances: [y]\n");
  absl::Status status = updater.ReloadFile(routes_file_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("defined twice"), absl::string_view::npos) << status;
  EXPECT_EQ(RouteNames(), (std::vector<std::string>{"greetings", "code"}));
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_reload_failures_total"), 1.0);

  fs::remove(routes_file_);
  EXPECT_FALSE(updater.ReloadFile(routes_file_).ok());
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_reload_failures_total"), 2.0);
  EXPECT_EQ(RouteNames(), (std::vector<std::string>{"greetings", "code"}));
}

TEST_F(RouteUpdaterTest, UpsertAndDeleteAreWrittenBack) {
  const std::string writable = (dir_ / "written.yaml").string();
  RouteUpdater updater(router_, metrics_, writable);
  RouteSpec weather{
      "weather", {"will it rain", "sunny tomorrow?"}, RouteTarget::FixedTier("small"), 0.0};
  absl::StatusOr<size_t> exemplars = updater.Upsert({weather});
  ASSERT_TRUE(exemplars.ok()) << exemplars.status();
  EXPECT_EQ(*exemplars, 7u);
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_exemplars"), 7.0);
  absl::StatusOr<RouteSet> written = LoadRouteSetFile(writable);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, router_->List());

  ASSERT_TRUE(updater.Delete("code").ok());
  written = LoadRouteSetFile(writable);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->routes.size(), 2u);
  EXPECT_EQ(updater.Delete("code").code(), absl::StatusCode::kNotFound);
}

TEST_F(RouteUpdaterTest, FailedWriteBackRollsBackAndCounts) {
  RouteUpdater updater(router_, metrics_, (dir_ / "no_such_dir" / "routes.yaml").string());
  RouteSpec weather{"weather", {"will it rain"}, RouteTarget::None(), 0.0};
  absl::StatusOr<size_t> exemplars = updater.Upsert({weather});
  EXPECT_EQ(exemplars.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(exemplars.status().message().find("writable_routes_file"), absl::string_view::npos);
  EXPECT_EQ(RouteNames(), (std::vector<std::string>{"greetings", "code"}));
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_write_back_failures_total"), 1.0);
  EXPECT_EQ(MetricValue(*registry_, "cascade_router_exemplars"), 5.0);
}

TEST_F(RouteUpdaterTest, InvalidUpsertChangesNothing) {
  RouteUpdater updater(router_, metrics_, "");
  RouteSpec empty{"empty", {}, RouteTarget::None(), 0.0};
  EXPECT_EQ(updater.Upsert({empty}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RouteNames(), (std::vector<std::string>{"greetings", "code"}));
}

}  // namespace
}  // namespace cascade::router
