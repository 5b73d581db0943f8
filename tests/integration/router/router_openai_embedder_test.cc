// cascade-router with `embedder: openai`: the real binary against a fake OpenAI-compatible
// embeddings server on loopback. It routes on the remote vectors; when the endpoint fails,
// Route() is UNAVAILABLE (logged and counted) and the server keeps running; when the
// endpoint is down at startup the router exits 69 (EX_UNAVAILABLE) naming it.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <sstream>

#include "cascade/v1/router.grpc.pb.h"
#include "services/router/testing/fake_embeddings_server.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using router::testing::FakeEmbeddingsServer;
using ::testing::HasSubstr;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::string kBinary = std::string(CASCADE_BIN_DIR) + "/cascade-router";
constexpr auto kPatience = 30s;

constexpr char kRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances: [hello there, good morning, hi how are you]
    start_tier: small
  - name: code
    utterances: [write a python function, fix my rust code, why does my program crash]
    start_tier: large
)";

std::string Config(const std::string& base_url) {
  const std::string routes = testing::WriteTempConfig("openai_routes.yaml", kRoutes);
  return testing::WriteTempConfig(
      "openai_router.yaml",
      "server:\n  drain_delay: 0s\n  drain_grace: 2s\nroutes_file: " + routes +
          "\nembedder: openai\nopenai_embedder:\n  base_url: " + base_url +
          "\n  model: embed-small\n  batch_size: 2\n  timeout: 5s\n"
          "  retry: {max_retries: 0}\n");
}

double MetricValue(const ServerProcess& server, const std::string& series) {
  auto reply = testing::HttpGet(server.metrics_address(), "/metrics");
  std::istringstream lines(reply.ok() ? reply->body : "");
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1.0;
}

TEST(RouterOpenAIEmbedderTest, RoutesOnRemoteVectorsAndFailsUnavailableWhenTheEndpointFails) {
  auto embeddings = FakeEmbeddingsServer::Start(64);
  auto server = ServerProcess::Start(kBinary, {"--config", Config(embeddings->base_url())});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(embeddings->calls(), 3);  // Six exemplars, two per request.
  auto stub = v1::Router::NewStub(
      grpc::CreateChannel((*server)->grpc_address(), grpc::InsecureChannelCredentials()));

  v1::RouteRequest request;
  request.set_query("write a python function for me");
  v1::RouteDecision decision;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    grpc::Status status = stub->Route(&context, request, &decision);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(decision.route(), "code");
  EXPECT_EQ(decision.start_tier(), "large");
  EXPECT_EQ(embeddings->requests().back()["input"][0], "write a python function for me");

  embeddings->FailNext(-1, 503);
  request.set_query("good morning to you");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  grpc::Status status = stub->Route(&context, request, &decision);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("start at the first tier"));
  EXPECT_THAT(status.error_message(), HasSubstr("HTTP 503"));
  EXPECT_TRUE((*server)->WaitForStderr("route_embed_failed", kPatience));
  EXPECT_EQ(MetricValue(**server, "cascade_router_embed_failures_total"), 1.0);
}

TEST(RouterOpenAIEmbedderTest, EndpointDownAtStartupExitsUnavailable) {
  std::string base_url;
  {
    auto embeddings = FakeEmbeddingsServer::Start(64);
    base_url = embeddings->base_url();
  }  // Stopped: nothing listens there now.
  std::string output;
  testing::ProcessResult result =
      ServerProcess::RunToExit(kBinary, {"--config", Config(base_url)}, &output);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.code, 69) << output;
  EXPECT_THAT(output, HasSubstr("startup_failed"));
  EXPECT_THAT(output, HasSubstr("cannot connect to the embedding endpoint"));
}

TEST(RouterOpenAIEmbedderTest, OpenAIEmbedderWithoutItsBlockIsAConfigError) {
  const std::string config = testing::WriteTempConfig("openai_noblock.yaml", "embedder: openai\n");
  std::string output;
  testing::ProcessResult result = ServerProcess::RunToExit(kBinary, {"--config", config}, &output);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.code, 78) << output;
  EXPECT_THAT(output, HasSubstr("openai_embedder"));
}

}  // namespace
}  // namespace cascade
