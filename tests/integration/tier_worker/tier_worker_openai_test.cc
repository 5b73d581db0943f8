// cascade-tier-worker as deployed: the real binary, started on port 0 with a config that
// points at a fake OpenAI-compatible upstream in this process, called over gRPC.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "absl/time/clock.h"
#include "cascade/v1/tier.grpc.pb.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/server_process.h"

namespace cascade {
namespace {

using cascade::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using tier_worker::testing::ChatCompletionChunks;
using tier_worker::testing::ChatCompletionJson;
using tier_worker::testing::FakeOpenAIServer;
using tier_worker::testing::FakeReply;

constexpr char kKeyVariable[] = "CASCADE_IT_UPSTREAM_KEY";
constexpr char kApiKey[] = "sk-integration-secret-42";
// gpt-4o-mini is in the built-in table at 0.15 / 0.60; the config overrides it.
constexpr int64_t kInputPrice = 1250000;   // 1.25 USD per million tokens.
constexpr int64_t kOutputPrice = 5000000;  // 5.00 USD per million tokens.

std::string BinaryPath() { return std::string(CASCADE_BIN_DIR) + "/cascade-tier-worker"; }

// Named after the process: ctest runs tests of this binary in parallel, and each test's
// config points at its own upstream.
std::string WriteConfig(const std::string& name, const std::string& yaml) {
  std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << yaml;
  return path;
}

class TierWorkerBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = FakeOpenAIServer::Start();
    ASSERT_NE(upstream_, nullptr);
    std::string config =
        WriteConfig("tier_worker_it.yaml",
                    "server:\n  drain_delay: 0s\n  drain_grace: 2s\n"
                    "tier: small\n"
                    "openai:\n  base_url: " +
                        upstream_->base_url() +
                        "\n  model: gpt-4o-mini\n"
                        "  api_key_env: " +
                        kKeyVariable +
                        "\n"
                        "price:\n  input_usd_per_mtok: 1.25\n  output_usd_per_mtok: 5\n"
                        "retry:\n  max_retries: 2\n  initial_backoff: 10ms\n  max_backoff: 50ms\n");
    auto process =
        ServerProcess::Start(BinaryPath(), {"--config", config}, {{kKeyVariable, kApiKey}});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = *std::move(process);
    stub_ = cascade::v1::TierWorker::NewStub(
        grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  static cascade::v1::CompleteRequest Hello() {
    cascade::v1::CompleteRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content("Say hello.");
    request.mutable_params()->set_logprobs(true);
    request.mutable_params()->set_top_logprobs(2);
    return request;
  }

  static void Deadline(grpc::ClientContext* context) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  }

  std::unique_ptr<FakeOpenAIServer> upstream_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<cascade::v1::TierWorker::Stub> stub_;
};

TEST_F(TierWorkerBinaryTest, DescribeReportsTheConfiguredTier) {
  grpc::ClientContext context;
  Deadline(&context);
  cascade::v1::DescribeResponse response;
  ASSERT_TRUE(stub_->Describe(&context, cascade::v1::DescribeRequest(), &response).ok());
  EXPECT_EQ(response.tier(), "small");
  EXPECT_EQ(response.model(), "gpt-4o-mini");
  EXPECT_EQ(response.input_price_uusd_per_mtok(), kInputPrice);
  EXPECT_EQ(response.output_price_uusd_per_mtok(), kOutputPrice);
  EXPECT_TRUE(response.supports_logprobs());
  EXPECT_EQ(response.backend(), "openai");
}

TEST_F(TierWorkerBinaryTest, CompleteAfterAServerErrorCostsExactlyTokensTimesPrice) {
  upstream_->Enqueue(FakeReply::Error(500, "transient"));
  upstream_->Enqueue(
      FakeReply::Json(ChatCompletionJson({"Hel", "lo", "."}, 1234, 3, true, "gpt-4o-mini-0718")));
  grpc::ClientContext context;
  Deadline(&context);
  context.AddMetadata("x-request-id", "it-request-1");
  cascade::v1::CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, Hello(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << server_->Stderr();
  EXPECT_EQ(response.text(), "Hello.");
  EXPECT_EQ(response.finish_reason(), cascade::v1::FINISH_REASON_STOP);
  ASSERT_EQ(response.logprobs_size(), 3);
  EXPECT_EQ(response.logprobs(0).top_size(), 2);
  EXPECT_EQ(response.usage().prompt_tokens(), 1234);
  EXPECT_EQ(response.usage().completion_tokens(), 3);
  EXPECT_EQ(response.cost_pusd(), 1234 * kInputPrice + 3 * kOutputPrice);
  EXPECT_EQ(response.cost_pusd(), 1557500000);
  EXPECT_EQ(response.tier(), "small");
  EXPECT_EQ(response.upstream_model(), "gpt-4o-mini-0718");
  EXPECT_GT(response.latency_seconds(), 0);
  EXPECT_EQ(upstream_->calls(), 2);
  EXPECT_EQ(upstream_->requests()[1].headers["authorization"], std::string("Bearer ") + kApiKey);
  EXPECT_EQ(upstream_->requests()[1].headers["x-request-id"], "it-request-1");

  auto metrics = cascade::testing::HttpGet(server_->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  const std::string series = "model=\"gpt-4o-mini\",tier=\"small\"";
  EXPECT_THAT(metrics->body, HasSubstr("cascade_tier_requests_total{" + series.substr(0, 19) +
                                       ",outcome=\"ok\",tier=\"small\"} 1"));
  EXPECT_THAT(metrics->body,
              HasSubstr("cascade_tier_tokens_total{direction=\"input\"," + series + "} 1234"));
  EXPECT_THAT(metrics->body, HasSubstr("cascade_tier_cost_usd_total{" + series + "} 0.0015575"));
  EXPECT_THAT(metrics->body, HasSubstr("cascade_tier_retries_total{" + series.substr(0, 19) +
                                       ",reason=\"server_error\",tier=\"small\"} 1"));
  EXPECT_THAT(metrics->body,
              HasSubstr("cascade_tier_upstream_duration_seconds_count{" + series + "} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("cascade_tier_in_flight{" + series + "} 0"));
}

TEST_F(TierWorkerBinaryTest, StreamCompleteStreamsDeltasThenTheFinalResponse) {
  upstream_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"a", "b", "c"}, 20, 3, true, true)));
  grpc::ClientContext context;
  Deadline(&context);
  auto reader = stub_->StreamComplete(&context, Hello());
  std::string text;
  cascade::v1::CompleteChunk chunk;
  cascade::v1::CompleteResponse final_response;
  int logprobs = 0;
  while (reader->Read(&chunk)) {
    // Deltas that arrive during a write are merged: the count of chunks is the network's.
    text += chunk.text();
    logprobs += chunk.logprobs_size();
    if (chunk.has_final()) final_response = chunk.final();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(text, "abc");
  EXPECT_EQ(logprobs, 3);
  // The last chunk carries what only the end knows, not the text again.
  EXPECT_EQ(final_response.text(), "");
  EXPECT_EQ(final_response.logprobs_size(), 0);
  EXPECT_EQ(final_response.cost_pusd(), 20 * kInputPrice + 3 * kOutputPrice);
  EXPECT_FALSE(final_response.usage_estimated());
}

TEST_F(TierWorkerBinaryTest, WrongKeyIsUnauthenticatedNotRetriedAndTheKeyNeverLeaks) {
  upstream_->Enqueue(FakeReply::Error(401, std::string("Incorrect API key provided: ") + kApiKey));
  grpc::ClientContext context;
  Deadline(&context);
  cascade::v1::CompleteResponse response;
  grpc::Status status = stub_->Complete(&context, Hello(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("Incorrect API key provided"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kApiKey)));
  EXPECT_EQ(upstream_->calls(), 1);
  server_->Signal(SIGTERM);
  auto exit = server_->WaitForExit(std::chrono::seconds(30));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->code, 0);
  EXPECT_THAT(server_->Stderr(), HasSubstr("tier_call_failed"));
  EXPECT_THAT(server_->Stderr(), Not(HasSubstr(kApiKey)));
}

TEST_F(TierWorkerBinaryTest, CallerDeadlineCutsASlowUpstream) {
  FakeReply slow = FakeReply::Json(ChatCompletionJson({"late"}, 1, 1, true));
  slow.delay = absl::Seconds(30);
  upstream_->Enqueue(slow);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
  cascade::v1::CompleteResponse response;
  EXPECT_EQ(stub_->Complete(&context, Hello(), &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST(TierWorkerConfigTest, UnknownModelPriceStopsTheServerWithAConfigError) {
  std::string config =
      WriteConfig("tier_worker_unpriced.yaml",
                  "openai:\n  base_url: http://127.0.0.1:9/v1\n  model: some-unpriced-model\n");
  std::string output;
  auto result = ServerProcess::RunToExit(BinaryPath(), {"--config", config}, &output);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.code, 78);
  EXPECT_THAT(output, HasSubstr("no price for model 'some-unpriced-model'"));
}

TEST(TierWorkerConfigTest, WithoutABackendItServesProbesAndSaysWhatIsMissing) {
  auto process = ServerProcess::Start(BinaryPath(), {});
  ASSERT_TRUE(process.ok()) << process.status();
  std::string first_line = (*process)->Stderr().substr(0, (*process)->Stderr().find('\n'));
  EXPECT_THAT(first_line, HasSubstr("\"event\":\"listening\""));
  auto stub = cascade::v1::TierWorker::NewStub(
      grpc::CreateChannel((*process)->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  cascade::v1::DescribeResponse response;
  grpc::Status status = stub->Describe(&context, cascade::v1::DescribeRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(status.error_message(), HasSubstr("no backend"));
}

}  // namespace
}  // namespace cascade
