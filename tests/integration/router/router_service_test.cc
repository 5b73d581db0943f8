// cascade-router as clients see it: the real binary with a routes file, on loopback.
// Decisions, bad input, bad routes files, hot reload (good and bad), route changes over
// gRPC with write-back, and metrics.

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cascade/v1/router.grpc.pb.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/poll.h"
#include "tests/support/server_process.h"

namespace cascade {
namespace {

using ::testing::HasSubstr;
using testing::ServerProcess;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kBinary = std::string(CASCADE_BIN_DIR) + "/cascade-router";
constexpr auto kPatience = 30s;

constexpr char kRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances:
      - hello there
      - good morning
      - hi, how are you doing today
      - hey, nice to meet you
    start_tier: small
  - name: code
    utterances:
      - write a python function that sorts a list
      - why does my C++ program segfault
      - fix this compile error in my rust code
      - explain this javascript stack trace
    start_tier: large
  - name: math
    utterances:
      - solve this integral
      - prove that the square root of two is irrational
      - what is the derivative of x squared
    start_tier: large
  - name: refunds
    utterances:
      - I want a refund for my order
      - how do I get my money back
      - return an item and get refunded
    tier: small
)";

constexpr char kWeatherRoute[] = R"(  - name: weather
    utterances:
      - will it rain tomorrow
      - what is the weather forecast for the weekend
      - is it going to be sunny
    tier: small
)";

class RouterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("router_it_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    routes_file_ = (dir_ / "routes.yaml").string();
  }

  std::string WriteConfig(const std::string& extra_yaml) {
    const std::string path = (dir_ / "router.yaml").string();
    std::ofstream(path) << "server:\n  drain_delay: 0s\n  drain_grace: 2s\n"
                        << "routes_file: " << routes_file_ << "\n"
                        << "routes_poll_interval: 20ms\n"
                        << extra_yaml;
    return path;
  }

  void WriteRoutes(const std::string& yaml) {
    // Atomically, as an operator's tooling (and a ConfigMap) would.
    const std::string temporary = routes_file_ + ".new";
    std::ofstream(temporary) << yaml;
    fs::rename(temporary, routes_file_);
  }

  void Start(const std::string& extra_yaml = "") {
    WriteRoutes(kRoutes);
    auto process = ServerProcess::Start(kBinary, {"--config", WriteConfig(extra_yaml)});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = *std::move(process);
    stub_ = v1::Router::NewStub(
        grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Route(const std::string& query, v1::RouteDecision* decision) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::RouteRequest request;
    request.set_query(query);
    return stub_->Route(&context, request, decision);
  }

  std::string RouteName(const std::string& query) {
    v1::RouteDecision decision;
    grpc::Status status = Route(query, &decision);
    return status.ok() ? decision.route() : "error: " + status.error_message();
  }

  std::string Metrics() {
    auto reply = testing::HttpGet(server_->metrics_address(), "/metrics");
    return reply.ok() ? reply->body : "";
  }

  // The value of the sample line starting with `series` (name and labels), or -1.
  double MetricValue(const std::string& series) {
    std::istringstream lines(Metrics());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1.0;
  }

  std::string ReadRoutesFile() {
    std::ifstream file(routes_file_);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  fs::path dir_;
  std::string routes_file_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<v1::Router::Stub> stub_;
};

TEST_F(RouterServiceTest, RouteReturnsRouteTargetScoreExampleAndAlternatives) {
  Start();
  v1::RouteDecision decision;
  grpc::Status status = Route("hello, good morning to you", &decision);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decision.route(), "greetings");
  EXPECT_EQ(decision.start_tier(), "small");
  EXPECT_FALSE(decision.below_threshold());
  EXPECT_GT(decision.score(), 0.0);
  EXPECT_LE(decision.score(), 1.0);
  EXPECT_THAT(decision.matched_example(), ::testing::AnyOf("good morning", "hello there"));
  ASSERT_GE(decision.alternatives_size(), 1);
  double previous = decision.score();
  for (const v1::RouteAlternative& alternative : decision.alternatives()) {
    EXPECT_NE(alternative.route(), "greetings");
    EXPECT_LE(alternative.score(), previous);
    previous = alternative.score();
  }

  status = Route("I want my money back for this order", &decision);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decision.route(), "refunds");
  EXPECT_EQ(decision.fixed_tier(), "small");
  EXPECT_EQ(decision.target_case(), v1::RouteDecision::kFixedTier);

  status = Route("my python function does not compile", &decision);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decision.route(), "code");
  EXPECT_EQ(decision.start_tier(), "large");
}

TEST_F(RouterServiceTest, UnlikeEveryRouteTakesTheDefaultRoute) {
  Start("default_threshold: 0.6\n");
  v1::RouteDecision decision;
  grpc::Status status = Route("zebra quartz vodka", &decision);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decision.route(), "general");
  EXPECT_TRUE(decision.below_threshold());
  EXPECT_EQ(decision.target_case(), v1::RouteDecision::TARGET_NOT_SET);
  ASSERT_GE(decision.alternatives_size(), 1);  // The best route, which fell short.
}

TEST_F(RouterServiceTest, BadQueriesAreInvalidArgumentNamingTheProblem) {
  Start();
  v1::RouteDecision decision;
  grpc::Status status = Route("", &decision);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("empty"));

  status = Route(std::string(1 << 20, 'a'), &decision);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("max_query_bytes = 8192"));
  EXPECT_THAT(status.error_message(), HasSubstr("1048576 bytes"));

  // Raw bytes: a C++ client's protobuf would log about invalid UTF-8 in a string field,
  // and other languages' refuse to send it at all; the server must still answer sensibly.
  auto channel = grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  const std::string invalid_utf8 = std::string("\x0a\x06", 2) + "caf\xc3\x28!";
  grpc::Slice slice(invalid_utf8);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  generic.UnaryCall(&context, "/cascade.v1.Router/Route", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status result) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = result;
                      done = true;
                      done_cv.notify_all();
                    });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(done_cv.wait_for(lock, kPatience, [&] { return done; }));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(status.error_message(), HasSubstr("offset 3"));
}

TEST_F(RouterServiceTest, BadRoutesFilesStopTheServerWithAClearError) {
  const std::pair<std::string, std::string> cases[] = {
      {"routes:\n  - name: a\n    utterances: [x]\n  - name: a\n    utterances: [y]\n",
       "defined twice"},
      {"routes:\n  - name: empty\n    utterances: []\n", "utterances"},
  };
  for (const auto& [yaml, expected] : cases) {
    WriteRoutes(yaml);
    std::string output;
    testing::ProcessResult result =
        ServerProcess::RunToExit(kBinary, {"--config", WriteConfig("")}, &output);
    EXPECT_TRUE(result.exited);
    EXPECT_EQ(result.code, 78) << output;
    EXPECT_THAT(output, HasSubstr("startup_failed"));
    EXPECT_THAT(output, HasSubstr(expected));
    EXPECT_THAT(output, HasSubstr("routes.yaml"));
  }
}

TEST_F(RouterServiceTest, RoutesFileChangesAreHotReloaded) {
  Start();
  ASSERT_NE(RouteName("will it rain tomorrow"), "weather");
  WriteRoutes(std::string(kRoutes) + kWeatherRoute);
  EXPECT_TRUE(testing::PollUntil([&] { return RouteName("will it rain tomorrow") == "weather"; },
                                 kPatience));
  EXPECT_TRUE(server_->WaitForStderr("routes_reloaded", kPatience));
  EXPECT_EQ(MetricValue("cascade_router_reloads_total"), 1.0);
  EXPECT_EQ(MetricValue("cascade_router_exemplars"), 17.0);
}

TEST_F(RouterServiceTest, BadReloadKeepsTheOldRoutesLogsAndCounts) {
  Start();
  WriteRoutes("routes:\n  - name: a\n    utterances: [x]\n  - name: a\n    utterances: [y]\n");
  EXPECT_TRUE(testing::PollUntil(
      [&] { return MetricValue("cascade_router_reload_failures_total") == 1.0; }, kPatience));
  EXPECT_TRUE(server_->WaitForStderr("routes_reload_failed", kPatience));
  EXPECT_THAT(server_->Stderr(), HasSubstr("defined twice"));
  EXPECT_EQ(RouteName("hello there, good morning"), "greetings");
  EXPECT_EQ(MetricValue("cascade_router_exemplars"), 14.0);

  // A good file afterwards is taken.
  WriteRoutes(std::string(kRoutes) + kWeatherRoute);
  EXPECT_TRUE(testing::PollUntil([&] { return RouteName("will it rain tomorrow") == "weather"; },
                                 kPatience));
}

TEST_F(RouterServiceTest, UpsertDeleteAndListWriteBackToTheRoutesFile) {
  Start("writable_routes_file: " + routes_file_ + "\n");
  v1::UpsertRoutesRequest upsert;
  v1::RouteSpec* weather = upsert.add_routes();
  weather->set_name("weather");
  weather->add_utterances("will it rain tomorrow");
  weather->add_utterances("is it going to be sunny");
  weather->set_fixed_tier("small");
  weather->set_threshold(0.05);
  v1::UpsertRoutesResponse upserted;
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->UpsertRoutes(&context, upsert, &upserted);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(upserted.exemplars(), 16);
  EXPECT_EQ(RouteName("will it rain tomorrow"), "weather");
  EXPECT_THAT(ReadRoutesFile(), HasSubstr("weather"));
  EXPECT_THAT(ReadRoutesFile(), HasSubstr("is it going to be sunny"));

  v1::ListRoutesResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListRoutes(&context, {}, &listed).ok());
  }
  EXPECT_EQ(listed.default_route(), "general");
  ASSERT_EQ(listed.routes_size(), 5);
  EXPECT_EQ(listed.routes(4).name(), "weather");
  EXPECT_EQ(listed.routes(4).fixed_tier(), "small");
  EXPECT_DOUBLE_EQ(listed.routes(4).threshold(), 0.05);
  EXPECT_EQ(listed.routes(0).start_tier(), "small");

  v1::UpsertRoutesRequest invalid;
  invalid.add_routes()->set_name("no_utterances");
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->UpsertRoutes(&context, invalid, &upserted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("no_utterances"));
  }

  v1::DeleteRouteRequest remove;
  remove.set_name("code");
  v1::DeleteRouteResponse removed;
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->DeleteRoute(&context, remove, &removed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_THAT(ReadRoutesFile(), ::testing::Not(HasSubstr("segfault")));
  {
    grpc::ClientContext context;
    grpc::Status status = stub_->DeleteRoute(&context, remove, &removed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ListRoutes(&context, {}, &listed).ok());
  }
  EXPECT_EQ(listed.routes_size(), 4);
  // The watcher saw our own writes; they were no change to reload.
  EXPECT_EQ(MetricValue("cascade_router_reload_failures_total"), 0.0);
  EXPECT_EQ(MetricValue("cascade_router_exemplars"), 12.0);
}

TEST_F(RouterServiceTest, MetricsDescribeTheTraffic) {
  Start("default_threshold: 0.6\n");
  EXPECT_EQ(RouteName("hello there"), "greetings");
  EXPECT_EQ(RouteName("hello there"), "greetings");
  EXPECT_EQ(RouteName("zebra quartz vodka"), "general");
  EXPECT_EQ(MetricValue("cascade_router_decisions_total{route=\"greetings\"}"), 2.0);
  EXPECT_EQ(MetricValue("cascade_router_decisions_total{route=\"general\"}"), 1.0);
  EXPECT_EQ(MetricValue("cascade_router_below_threshold_total"), 1.0);
  EXPECT_EQ(MetricValue("cascade_router_score_count"), 3.0);
  EXPECT_EQ(MetricValue("cascade_router_embed_duration_seconds_count"), 3.0);
  EXPECT_EQ(MetricValue("cascade_router_search_duration_seconds_count"), 3.0);
  EXPECT_EQ(MetricValue("cascade_router_exemplars"), 14.0);
  EXPECT_THAT(Metrics(),
              HasSubstr("cascade_grpc_server_requests_total{code=\"OK\",method=\"Route\""));
}

TEST(RouterWithoutRoutesTest, EveryQueryTakesTheDefaultRoute) {
  auto process = ServerProcess::Start(kBinary, {});
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_THAT((*process)->Stderr(), HasSubstr("no_routes_file"));
  auto stub = v1::Router::NewStub(
      grpc::CreateChannel((*process)->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::RouteRequest request;
  request.set_query("anything at all");
  v1::RouteDecision decision;
  ASSERT_TRUE(stub->Route(&context, request, &decision).ok());
  EXPECT_EQ(decision.route(), "default");
  EXPECT_TRUE(decision.below_threshold());
}

}  // namespace
}  // namespace cascade
