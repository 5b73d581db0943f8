// The gRPC adapter in-process: a real server and stub over a TierWorker whose backend is
// the OpenAI-compatible client against the fake upstream.

#include "services/tier_worker/tier_worker_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "services/tier_worker/openai_backend.h"
#include "services/tier_worker/testing/fake_openai_server.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;
using testing::ChatCompletionChunks;
using testing::ChatCompletionJson;
using testing::FakeOpenAIServer;
using testing::FakeReply;

class TierWorkerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = FakeOpenAIServer::Start();
    ASSERT_NE(upstream_, nullptr);
    OpenAIBackendOptions backend;
    backend.base_url = upstream_->base_url();
    backend.model = "fake-model";
    TierWorkerOptions options;
    options.tier = "small";
    options.price = {2000000, 8000000};
    options.max_concurrency = 4;
    auto worker =
        std::make_shared<TierWorker>(options, std::make_unique<OpenAIBackend>(backend), &registry_);
    service_ = std::make_unique<TierWorkerService>(worker, TierWorkerServiceOptions{});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = cascade::v1::TierWorker::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    server_.reset();
    service_.reset();
  }

  static CompleteRequest Hello() {
    CompleteRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content("hello");
    request.mutable_params()->set_logprobs(true);
    return request;
  }

  prometheus::Registry registry_;
  std::unique_ptr<FakeOpenAIServer> upstream_;
  std::unique_ptr<TierWorkerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<cascade::v1::TierWorker::Stub> stub_;
};

TEST_F(TierWorkerServiceTest, CompleteCarriesCostAndEchoesTheRequestId) {
  upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"hi"}, 10, 1, true)));
  grpc::ClientContext context;
  context.AddMetadata("x-request-id", "abc-123");
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, Hello(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.cost_pusd(), 10 * 2000000 + 1 * 8000000);
  EXPECT_EQ(response.tier(), "small");
  auto id = context.GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(id, context.GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(id->second.data(), id->second.size()), "abc-123");
  EXPECT_EQ(upstream_->requests()[0].headers["x-request-id"], "abc-123");
}

TEST_F(TierWorkerServiceTest, StreamCompleteSendsDeltasThenTheFinalResponse) {
  upstream_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"a", "b"}, 4, 2, true, true)));
  grpc::ClientContext context;
  auto reader = stub_->StreamComplete(&context, Hello());
  std::vector<CompleteChunk> chunks;
  CompleteChunk chunk;
  while (reader->Read(&chunk)) chunks.push_back(chunk);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(chunks.empty());
  std::string text;
  int logprobs = 0;
  for (const auto& piece : chunks) {
    text += piece.text();
    logprobs += piece.logprobs_size();
  }
  // Deltas that arrive during a write are merged: the text and logprobs arrive whole,
  // however many chunks carry them.
  EXPECT_EQ(text, "ab");
  EXPECT_EQ(logprobs, 2);
  const CompleteChunk& last = chunks.back();
  ASSERT_TRUE(last.has_final());
  // The last chunk carries what only the end knows, not the text again.
  EXPECT_EQ(last.final().text(), "");
  EXPECT_EQ(last.final().logprobs_size(), 0);
  EXPECT_EQ(last.final().usage().completion_tokens(), 2);
  EXPECT_EQ(last.final().cost_pusd(), 4 * 2000000 + 2 * 8000000);
}

TEST_F(TierWorkerServiceTest, CallerCancellingAStreamClosesTheUpstream) {
  FakeReply hang = FakeReply::Stream(ChatCompletionChunks({"a"}, 1, 1, true, true));
  hang.events.resize(2);
  hang.hang = true;
  upstream_->Enqueue(hang);
  grpc::ClientContext context;
  auto reader = stub_->StreamComplete(&context, Hello());
  CompleteChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  EXPECT_EQ(chunk.text(), "a");
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(upstream_->WaitForDisconnects(1, absl::Seconds(10)));
}

TEST_F(TierWorkerServiceTest, CallerDeadlineBecomesTheUpstreamTimeout) {
  FakeReply hang = FakeReply::Json(ChatCompletionJson({"late"}, 1, 1, true));
  hang.hang = true;  // Headers, then a body that never ends.
  upstream_->Enqueue(hang);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(400)));
  CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, Hello(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(upstream_->WaitForDisconnects(1, absl::Seconds(10)));
}

TEST_F(TierWorkerServiceTest, Describe) {
  grpc::ClientContext context;
  cascade::v1::DescribeResponse response;
  ASSERT_TRUE(stub_->Describe(&context, cascade::v1::DescribeRequest(), &response).ok());
  EXPECT_EQ(response.tier(), "small");
  EXPECT_EQ(response.model(), "fake-model");
  EXPECT_EQ(response.input_price_uusd_per_mtok(), 2000000);
  EXPECT_EQ(response.backend(), "openai");
}

}  // namespace
}  // namespace cascade::tier_worker
