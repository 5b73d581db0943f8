// Every product binary starts on port 0, reports SERVING over gRPC and on /readyz,
// exports metrics, answers UNIMPLEMENTED for what is not built yet, drains on SIGTERM and
// refuses a misspelled config.

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "tests/support/grpc_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using testing::CheckGrpcHealth;
using ::testing::HasSubstr;
using testing::HealthStatus;
using testing::HttpGet;
using testing::ServerProcess;

struct Binary {
  std::string name;             // cascade-router
  std::string service;          // router (the build_info label)
  std::string probe_method;     // Called with an empty request...
  grpc::StatusCode probe_code;  // ...answers this (UNIMPLEMENTED until the service is built).
};

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    default:
      return "OTHER";
  }
}

void PrintTo(const Binary& binary, std::ostream* out) { *out << binary.name; }

std::string BinaryPath(const std::string& name) {
  return std::string(CASCADE_BIN_DIR) + "/" + name;
}

// Calls `method` with an empty request and returns the status code.
grpc::StatusCode CallEmpty(const std::string& address, const std::string& method) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::CompletionQueue queue;
  grpc::ByteBuffer request;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, method, request, &queue);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return status.error_code();
}

class ServerBinaryTest : public ::testing::TestWithParam<Binary> {};

TEST_P(ServerBinaryTest, ServesHealthMetricsAndDrainsOnSigterm) {
  const Binary& binary = GetParam();
  std::string config = testing::WriteTempConfig(binary.service + "_fast_drain.yaml",
                                                "server:\n  drain_delay: 0s\n  drain_grace: 5s\n");
  auto process = ServerProcess::Start(BinaryPath(binary.name), {"--config", config});
  ASSERT_TRUE(process.ok()) << process.status();
  ServerProcess& server = **process;

  auto health = CheckGrpcHealth(server.grpc_address());
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, HealthStatus::kServing);
  auto live = HttpGet(server.metrics_address(), "/healthz");
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->status, 200);
  auto ready = HttpGet(server.metrics_address(), "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);

  EXPECT_EQ(CallEmpty(server.grpc_address(), binary.probe_method), binary.probe_code);

  auto metrics = HttpGet(server.metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->body, HasSubstr("cascade_build_info{service=\"" + binary.service));
  std::string method = binary.probe_method.substr(binary.probe_method.rfind('/') + 1);
  EXPECT_THAT(metrics->body, HasSubstr("cascade_grpc_server_requests_total{"));
  EXPECT_THAT(metrics->body,
              HasSubstr("code=\"" + CodeName(binary.probe_code) + "\",method=\"" + method + "\""));
  EXPECT_THAT(metrics->body, HasSubstr("cascade_grpc_server_request_duration_seconds_bucket{"));

  server.Signal(SIGTERM);
  auto exit = server.WaitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit.has_value()) << "no exit after SIGTERM";
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 0) << server.Stderr();
  EXPECT_THAT(server.Stderr(), HasSubstr("\"event\":\"draining\""));
}

TEST_P(ServerBinaryTest, FirstLogLineIsListeningWithBoundAddresses) {
  auto process = ServerProcess::Start(BinaryPath(GetParam().name), {});
  ASSERT_TRUE(process.ok()) << process.status();
  std::string first_line = (*process)->Stderr().substr(0, (*process)->Stderr().find('\n'));
  EXPECT_THAT(first_line, HasSubstr("\"event\":\"listening\""));
  EXPECT_THAT((*process)->grpc_address(), ::testing::StartsWith("127.0.0.1:"));
  EXPECT_NE((*process)->grpc_address(), "127.0.0.1:0");
  EXPECT_NE((*process)->metrics_address(), "127.0.0.1:0");
}

TEST_P(ServerBinaryTest, HelpAndVersion) {
  std::string output;
  auto help = ServerProcess::RunToExit(BinaryPath(GetParam().name), {"--help"}, &output);
  EXPECT_TRUE(help.exited);
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(output, HasSubstr("Usage: " + GetParam().name));
  EXPECT_THAT(output, HasSubstr("--grpc-listen ADDR"));
  output.clear();
  auto version = ServerProcess::RunToExit(BinaryPath(GetParam().name), {"--version"}, &output);
  EXPECT_EQ(version.code, 0);
  EXPECT_THAT(output, HasSubstr(GetParam().name + " 0."));
}

TEST_P(ServerBinaryTest, MisspelledConfigKeyExitsNonZeroNamingTheKey) {
  std::string config =
      testing::WriteTempConfig(GetParam().service + "_typo.yaml",
                               "server:\n  grpc_listen: 127.0.0.1:0\n  drain_dealy: 1s\n");
  std::string output;
  auto result =
      ServerProcess::RunToExit(BinaryPath(GetParam().name), {"--config", config}, &output);
  EXPECT_TRUE(result.exited);
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(output, HasSubstr("server.drain_dealy"));
  EXPECT_THAT(output, HasSubstr(":3:"));
  EXPECT_THAT(output, HasSubstr("did you mean 'drain_delay'"));
}

TEST_P(ServerBinaryTest, UnknownFlagAndBadAddressAreUsageErrors) {
  std::string output;
  auto flag = ServerProcess::RunToExit(BinaryPath(GetParam().name), {"--grpc-port", "1"}, &output);
  EXPECT_EQ(flag.code, 2);
  EXPECT_THAT(output, HasSubstr("unknown flag --grpc-port"));
  output.clear();
  auto address =
      ServerProcess::RunToExit(BinaryPath(GetParam().name), {"--grpc-listen", "nowhere"}, &output);
  EXPECT_NE(address.code, 0);
  EXPECT_THAT(output, HasSubstr("'nowhere' is not an address"));
}

INSTANTIATE_TEST_SUITE_P(
    AllServers, ServerBinaryTest,
    ::testing::Values(Binary{"cascade-router", "router", "/cascade.v1.Router/Route",
                             grpc::StatusCode::INVALID_ARGUMENT},  // An empty query.
                      Binary{"cascade-orchestrator", "orchestrator", "/cascade.v1.Cascade/Complete",
                             grpc::StatusCode::INVALID_ARGUMENT},  // No messages.
                      Binary{"cascade-tier-worker", "tier-worker",
                             "/cascade.v1.TierWorker/Describe", grpc::StatusCode::UNIMPLEMENTED},
                      // The default method (logprob) needs answer_logprobs.
                      Binary{"cascade-judge", "judge", "/cascade.v1.Judge/Score",
                             grpc::StatusCode::INVALID_ARGUMENT},
                      // No models configured: every model name is unknown.
                      Binary{"cascade-inference", "inference",
                             "/cascade.v1.InferenceService/Tokenize", grpc::StatusCode::NOT_FOUND}),
    [](const ::testing::TestParamInfo<Binary>& info) {
      std::string name = info.param.service;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

// Without tiers and policies the front door still answers in OpenAI's shapes: no models to
// list, and an error that names the policy asked for and the ones there are (none).
TEST(OrchestratorFrontDoorTest, WithoutPoliciesAnswersInOpenAIShapes) {
  auto process =
      ServerProcess::Start(BinaryPath("cascade-orchestrator"), {"--http-listen", "127.0.0.1:0"});
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_FALSE((*process)->http_address().empty());
  auto models = HttpGet((*process)->http_address(), "/v1/models");
  ASSERT_TRUE(models.ok()) << models.status();
  EXPECT_EQ(models->status, 200);
  EXPECT_THAT(models->body, HasSubstr("\"data\":[]"));
  auto missing = HttpGet((*process)->http_address(), "/nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("\"error\""));
  EXPECT_THAT(missing->body, HasSubstr("POST /v1/chat/completions"));
}

TEST(SecretConfigTest, MissingSecretVariableExitsNonZeroNamingTheVariable) {
  std::string config =
      testing::WriteTempConfig("tier_secret.yaml",
                               "openai:\n  base_url: http://127.0.0.1:9/v1\n  model: m\n"
                               "  api_key_env: CASCADE_TEST_UNSET_KEY\n");
  std::string output;
  auto result =
      ServerProcess::RunToExit(BinaryPath("cascade-tier-worker"), {"--config", config}, &output);
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(output, HasSubstr("CASCADE_TEST_UNSET_KEY"));
}

}  // namespace
}  // namespace cascade
