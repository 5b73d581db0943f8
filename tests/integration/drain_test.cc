// The drain sequence of docs/architecture.md, proven on a test-only server built on the common
// runtime: on SIGTERM readiness fails at once, calls are still served for drain_delay,
// in-flight calls finish within drain_grace, and the process exits 0.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <future>

#include "cascade/test/v1/test_service.grpc.pb.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/poll.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::test::v1::EchoRequest;
using cascade::test::v1::EchoResponse;
using cascade::test::v1::SleepRequest;
using cascade::test::v1::SleepResponse;
using cascade::test::v1::TestService;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::string kTestServer = std::string(CASCADE_TEST_BIN_DIR) + "/cascade-test-server";

std::unique_ptr<ServerProcess> StartTestServer(const std::string& drain_delay,
                                               const std::string& drain_grace) {
  std::string path = testing::WriteTempConfig(
      "drain_" + drain_delay + "_" + drain_grace + ".yaml",
      "server:\n  drain_delay: " + drain_delay + "\n  drain_grace: " + drain_grace + "\n");
  auto process = ServerProcess::Start(kTestServer, {"--config", path});
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? *std::move(process) : nullptr;
}

std::future<grpc::Status> SleepAsync(const std::string& address, int milliseconds) {
  return std::async(std::launch::async, [address, milliseconds] {
    auto stub =
        TestService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 60s);
    SleepRequest request;
    request.set_milliseconds(milliseconds);
    SleepResponse response;
    return stub->Sleep(&context, request, &response);
  });
}

bool IsReady(const std::string& metrics_address) {
  auto reply = testing::HttpGet(metrics_address, "/readyz");
  return reply.ok() && reply->status == 200;
}

TEST(DrainTest, SlowCallFinishesAcrossSigtermAndProcessExitsZero) {
  auto server = StartTestServer("1s", "20s");
  ASSERT_NE(server, nullptr);
  auto slow = SleepAsync(server->grpc_address(), 1500);
  ASSERT_TRUE(server->WaitForStderr("sleep_started", 30s));

  server->Signal(SIGTERM);
  // Readiness fails at once; gRPC health follows.
  EXPECT_TRUE(testing::PollUntil([&] { return !IsReady(server->metrics_address()); }, 5s));
  auto health = testing::CheckGrpcHealth(server->grpc_address());
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, testing::HealthStatus::kNotServing);

  // Still serving during drain_delay: load balancers may not have noticed yet.
  auto stub = TestService::NewStub(
      grpc::CreateChannel(server->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  EchoResponse echo;
  EXPECT_TRUE(stub->Echo(&context, EchoRequest(), &echo).ok());

  grpc::Status status = slow.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  auto exit = server->WaitForExit(30s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 0) << server->Stderr();
}

TEST(DrainTest, CallsOutlivingTheGraceAreCancelledAndExitIsStillZero) {
  auto server = StartTestServer("0s", "300ms");
  ASSERT_NE(server, nullptr);
  auto start = std::chrono::steady_clock::now();
  auto stuck = SleepAsync(server->grpc_address(), 60000);
  ASSERT_TRUE(server->WaitForStderr("sleep_started", 30s));
  server->Signal(SIGTERM);
  grpc::Status status = stuck.get();
  EXPECT_FALSE(status.ok());
  auto exit = server->WaitForExit(30s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0) << server->Stderr();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST(DrainTest, SecondSignalSkipsTheRestOfTheDelay) {
  auto server = StartTestServer("120s", "1s");
  ASSERT_NE(server, nullptr);
  server->Signal(SIGTERM);
  ASSERT_TRUE(server->WaitForStderr("\"event\":\"draining\"", 30s));
  server->Signal(SIGINT);
  auto exit = server->WaitForExit(30s);
  ASSERT_TRUE(exit.has_value()) << "a second signal must cut the 120s delay short";
  EXPECT_EQ(exit->code, 0);
}

}  // namespace
}  // namespace cascade
