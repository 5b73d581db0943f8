// A tier through real services: cascade-tier-worker -> cascade-inference with the bundled
// bard pair, both real binaries on loopback. The answer carries logprobs and usage, and
// cost_pusd is exactly tokens x the configured prices.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "cascade/v1/tier.grpc.pb.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::testing::ServerProcess;

// 0.30 and 1.20 USD per million tokens, as integer micro-USD per million (pico-USD/token).
constexpr int64_t kInputPrice = 300000;
constexpr int64_t kOutputPrice = 1200000;

class TierWorkerOverInferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string models = std::string(CASCADE_SOURCE_DIR) + "/models";
    auto inference = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-inference",
        {"--config", cascade::testing::WriteTempConfig(
                         "inference.yaml",
                         "server:\n  drain_delay: 0s\nmodels:\n"
                         "  - name: bard-target\n    path: " +
                             models +
                             "/bard-target-3m.gguf\n    threads: 1\n"
                             "  - name: bard-draft\n    path: " +
                             models + "/bard-draft-0.5m.gguf\n    threads: 1\n")});
    ASSERT_TRUE(inference.ok()) << inference.status();
    inference_ = *std::move(inference);
    auto tier = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-tier-worker",
        {"--config", cascade::testing::WriteTempConfig("tier.yaml",
                                                       "server:\n  drain_delay: 0s\ntier: large\n"
                                                       "inference:\n  endpoint:\n    address: " +
                                                           inference_->grpc_address() +
                                                           "\n  model: bard-target\n"
                                                           "price:\n  input_usd_per_mtok: 0.30\n"
                                                           "  output_usd_per_mtok: 1.20\n")});
    ASSERT_TRUE(tier.ok()) << tier.status();
    tier_ = *std::move(tier);
    stub_ = v1::TierWorker::NewStub(
        grpc::CreateChannel(tier_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  static v1::CompleteRequest Romeo(int max_tokens) {
    v1::CompleteRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content("ROMEO:");
    request.mutable_params()->set_max_tokens(max_tokens);
    request.mutable_params()->set_logprobs(true);
    request.mutable_params()->set_top_logprobs(2);
    return request;
  }

  static void Deadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  }

  std::unique_ptr<ServerProcess> inference_;
  std::unique_ptr<ServerProcess> tier_;
  std::unique_ptr<v1::TierWorker::Stub> stub_;
};

TEST_F(TierWorkerOverInferenceTest, AnswersWithLogprobsUsageAndExactCost) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, Romeo(12), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.text(), ::testing::StartsWith("\nI'll tell you"));
  EXPECT_EQ(response.tier(), "large");
  EXPECT_EQ(response.finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(response.usage().prompt_tokens(), 3);
  EXPECT_EQ(response.usage().completion_tokens(), 12);
  ASSERT_EQ(response.logprobs_size(), 12);
  for (const auto& logprob : response.logprobs()) {
    EXPECT_LE(logprob.logprob(), 0.0);
    EXPECT_EQ(logprob.top_size(), 2);
  }
  EXPECT_EQ(response.cost_pusd(), 3 * kInputPrice + 12 * kOutputPrice);
  EXPECT_GT(response.latency_seconds(), 0.0);
}

TEST_F(TierWorkerOverInferenceTest, StreamingGivesTheSameAnswer) {
  grpc::ClientContext unary_context;
  Deadline(&unary_context);
  v1::CompleteResponse unary;
  ASSERT_TRUE(stub_->Complete(&unary_context, Romeo(10), &unary).ok());

  grpc::ClientContext context;
  Deadline(&context);
  auto reader = stub_->StreamComplete(&context, Romeo(10));
  v1::CompleteChunk chunk;
  std::string text;
  v1::CompleteResponse final_response;
  while (reader->Read(&chunk)) {
    text += chunk.text();
    if (chunk.has_final()) final_response = chunk.final();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(text, unary.text());
  EXPECT_EQ(final_response.usage().completion_tokens(), 10);
  EXPECT_EQ(final_response.cost_pusd(), 3 * kInputPrice + 10 * kOutputPrice);
}

TEST_F(TierWorkerOverInferenceTest, SpeculationPassesThroughAndChangesNoToken) {
  grpc::ClientContext plain_context;
  Deadline(&plain_context);
  v1::CompleteResponse plain;
  ASSERT_TRUE(stub_->Complete(&plain_context, Romeo(24), &plain).ok());

  v1::CompleteRequest request = Romeo(24);
  request.mutable_speculation()->set_mode(v1::Speculation::DRAFT_MODEL);
  request.mutable_speculation()->set_draft_model("bard-draft");
  grpc::ClientContext context;
  Deadline(&context);
  v1::CompleteResponse speculative;
  grpc::Status status = stub_->Complete(&context, request, &speculative);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(speculative.text(), plain.text());
  EXPECT_GT(speculative.speculation().rounds(), 0);
}

TEST_F(TierWorkerOverInferenceTest, DescribeNamesTheInferenceBackend) {
  grpc::ClientContext context;
  Deadline(&context);
  v1::DescribeResponse description;
  ASSERT_TRUE(stub_->Describe(&context, v1::DescribeRequest(), &description).ok());
  EXPECT_EQ(description.tier(), "large");
  EXPECT_EQ(description.model(), "bard-target");
  EXPECT_EQ(description.backend(), "inference");
  EXPECT_TRUE(description.supports_logprobs());
  EXPECT_EQ(description.input_price_uusd_per_mtok(), kInputPrice);
  EXPECT_EQ(description.output_price_uusd_per_mtok(), kOutputPrice);
}

TEST_F(TierWorkerOverInferenceTest, InferenceErrorsKeepTheirCodeAndMessage) {
  v1::CompleteRequest request = Romeo(100000);
  grpc::ClientContext context;
  Deadline(&context);
  v1::CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("max_tokens"));
}

}  // namespace
}  // namespace cascade
