// A call made while serving another carries the caller's request id, a deadline shorter
// than the caller's, and is cancelled when the caller cancels.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>

#include "cascade/test/v1/test_service.grpc.pb.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/poll.h"
#include "tests/support/server_process.h"

namespace cascade {
namespace {

using cascade::test::v1::EchoRequest;
using cascade::test::v1::EchoResponse;
using cascade::test::v1::RelayRequest;
using cascade::test::v1::TestService;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::string kTestServer = std::string(CASCADE_TEST_BIN_DIR) + "/cascade-test-server";

class RequestPropagationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto process = ServerProcess::Start(kTestServer, {});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = *std::move(process);
    stub_ = TestService::NewStub(
        grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<TestService::Stub> stub_;
};

TEST_F(RequestPropagationTest, CallerRequestIdTravelsDownstream) {
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "req-abc-123");
  RelayRequest request;
  request.set_target(server_->grpc_address());
  EchoResponse response;
  ASSERT_TRUE(stub_->Relay(&context, request, &response).ok());
  EXPECT_EQ(response.downstream_code(), 0);
  EXPECT_EQ(response.request_id(), "req-abc-123");
  auto echoed = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "req-abc-123");
}

TEST_F(RequestPropagationTest, MissingOrUnusableRequestIdIsGenerated) {
  for (const char* given : {"", "has space"}) {
    grpc::ClientContext context;
    if (*given) context.AddMetadata("x-request-id", given);
    EchoResponse response;
    ASSERT_TRUE(stub_->Echo(&context, EchoRequest(), &response).ok());
    EXPECT_EQ(response.request_id().size(), 32u) << given;
    EXPECT_NE(response.request_id(), given);
  }
}

TEST_F(RequestPropagationTest, DownstreamDeadlineIsTheCallersMinusAMargin) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  RelayRequest request;
  request.set_target(server_->grpc_address());
  EchoResponse response;
  ASSERT_TRUE(stub_->Relay(&context, request, &response).ok());
  EXPECT_GT(response.deadline_left_ms(), 0);
  EXPECT_LT(response.deadline_left_ms(), 5000 - 20 + 1);
}

TEST_F(RequestPropagationTest, NoCallerDeadlineGetsTheDefaultTimeout) {
  grpc::ClientContext context;
  RelayRequest request;
  request.set_target(server_->grpc_address());
  EchoResponse response;
  ASSERT_TRUE(stub_->Relay(&context, request, &response).ok());
  EXPECT_GT(response.deadline_left_ms(), 0);
  EXPECT_LE(response.deadline_left_ms(), 30000);
}

TEST_F(RequestPropagationTest, CancellingTheCallerCancelsTheDownstreamCall) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 60s);
  RelayRequest request;
  request.set_target(server_->grpc_address());
  request.set_sleep_milliseconds(60000);
  auto call = std::async(std::launch::async, [&] {
    EchoResponse response;
    return stub_->Relay(&context, request, &response);
  });
  ASSERT_TRUE(server_->WaitForStderr("sleep_started", 30s));
  context.TryCancel();
  EXPECT_EQ(call.get().error_code(), grpc::StatusCode::CANCELLED);
  // The downstream 60 s sleep ends early, as CANCELLED, only if cancellation propagated.
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        auto metrics = testing::HttpGet(server_->metrics_address(), "/metrics");
        return metrics.ok() &&
               metrics->body.find("code=\"CANCELLED\",method=\"Sleep\"") != std::string::npos;
      },
      20s));
}

}  // namespace
}  // namespace cascade
