// server.max_connection_age: a server sends GOAWAY to connections older than the limit so
// clients that balance over replicas re-resolve and reach new ones (a Kubernetes Deployment
// scaled up), while calls running on the old connection get max_connection_age_grace.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>

#include "cascade/test/v1/test_service.grpc.pb.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::test::v1::EchoRequest;
using cascade::test::v1::EchoResponse;
using cascade::test::v1::SleepRequest;
using cascade::test::v1::SleepResponse;
using cascade::test::v1::TestService;
using ::testing::HasSubstr;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::string kTestServer = std::string(CASCADE_TEST_BIN_DIR) + "/cascade-test-server";

std::unique_ptr<ServerProcess> StartWithConnectionAge(const std::string& age,
                                                      const std::string& grace) {
  std::string path = testing::WriteTempConfig(
      "connection_age_" + age + "_" + grace + ".yaml",
      "server:\n  drain_delay: 0s\n  drain_grace: 5s\n  max_connection_age: " + age +
          "\n  max_connection_age_grace: " + grace + "\n");
  auto process = ServerProcess::Start(kTestServer, {"--config", path});
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? *std::move(process) : nullptr;
}

grpc::Status Echo(TestService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  EchoResponse response;
  return stub.Echo(&context, EchoRequest(), &response);
}

TEST(ConnectionAgeTest, OldConnectionIsClosedAndTheClientReconnects) {
  auto server = StartWithConnectionAge("300ms", "5s");
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = TestService::NewStub(channel);
  ASSERT_TRUE(Echo(*stub).ok());
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);

  // The server's GOAWAY takes the channel out of READY: the client will dial again (and,
  // balancing over a DNS name, re-resolve first).
  const bool changed =
      channel->WaitForStateChange(GRPC_CHANNEL_READY, std::chrono::system_clock::now() + 20s);
  ASSERT_TRUE(changed) << "the connection outlived max_connection_age";
  EXPECT_NE(channel->GetState(false), GRPC_CHANNEL_READY);
  EXPECT_TRUE(Echo(*stub).ok());
}

TEST(ConnectionAgeTest, CallRunningWhenTheConnectionAgesOutFinishesWithinTheGrace) {
  auto server = StartWithConnectionAge("200ms", "10s");
  ASSERT_NE(server, nullptr);
  auto stub = TestService::NewStub(
      grpc::CreateChannel(server->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  SleepRequest request;
  request.set_milliseconds(1500);  // well past the connection's age
  SleepResponse response;
  grpc::Status status = stub->Sleep(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
}

TEST(ConnectionAgeTest, NegativeAgeIsAConfigErrorNamingTheField) {
  std::string config = testing::WriteTempConfig("connection_age_negative.yaml",
                                                "server:\n  max_connection_age: -1s\n");
  std::string output;
  auto result = ServerProcess::RunToExit(kTestServer, {"--config", config}, &output);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.code, 78);
  EXPECT_THAT(output, HasSubstr("server.max_connection_age"));
}

}  // namespace
}  // namespace cascade
