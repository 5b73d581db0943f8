// cascade-judge -> cascade-tier-worker -> a fake OpenAI-compatible upstream (in this
// process): the prompt the llm method sends, the text-parsing path (the upstream gives no
// logprobs), the judge call's cost, the equivalence method, and a tier worker that is down.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "cascade/v1/judge.grpc.pb.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::testing::ServerProcess;
using ::testing::HasSubstr;
using tier_worker::testing::ChatCompletionJson;
using tier_worker::testing::FakeOpenAIServer;
using tier_worker::testing::FakeReply;

constexpr char kKeyVariable[] = "CASCADE_JUDGE_IT_KEY";
constexpr int64_t kInputPrice = 150000;   // 0.15 USD per million tokens.
constexpr int64_t kOutputPrice = 600000;  // 0.60 USD per million tokens.

std::unique_ptr<ServerProcess> StartJudge(const std::string& yaml) {
  auto judge = ServerProcess::Start(
      std::string(CASCADE_BIN_DIR) + "/cascade-judge",
      {"--config",
       cascade::testing::WriteTempConfig("judge.yaml", "server:\n  drain_delay: 0s\n" + yaml)});
  EXPECT_TRUE(judge.ok()) << judge.status();
  return judge.ok() ? *std::move(judge) : nullptr;
}

v1::ScoreRequest Request(const std::string& method) {
  v1::ScoreRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("What is the capital of France?");
  request.set_answer("Paris.");
  request.set_finish_reason(v1::FINISH_REASON_STOP);
  request.add_methods(method);
  return request;
}

grpc::Status Score(const std::string& address, const v1::ScoreRequest& request,
                   v1::ScoreResponse* response) {
  auto stub = v1::Judge::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return stub->Score(&context, request, response);
}

class JudgeOverFakeUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = FakeOpenAIServer::Start();
    ASSERT_NE(upstream_, nullptr);
    auto tier = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-tier-worker",
        {"--config",
         cascade::testing::WriteTempConfig(
             "judge_tier.yaml",
             "server:\n  drain_delay: 0s\ntier: small\n"
             "openai:\n  base_url: " +
                 upstream_->base_url() + "\n  model: gpt-4o-mini\n  api_key_env: " + kKeyVariable +
                 "\nprice:\n  input_usd_per_mtok: 0.15\n"
                 "  output_usd_per_mtok: 0.60\n")},
        {{kKeyVariable, "sk-judge-test"}});
    ASSERT_TRUE(tier.ok()) << tier.status();
    tier_ = *std::move(tier);
    judge_ = StartJudge("llm_tier:\n  address: " + tier_->grpc_address() +
                        "\nllm:\n  prompt_template: \"Q: {query}\\nA: {answer}\\nCorrect?\"\n");
    ASSERT_NE(judge_, nullptr);
  }

  std::unique_ptr<FakeOpenAIServer> upstream_;
  std::unique_ptr<ServerProcess> tier_;
  std::unique_ptr<ServerProcess> judge_;
};

TEST_F(JudgeOverFakeUpstreamTest, SendsThePromptAndParsesTheTextWithoutLogprobs) {
  upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"Yes", "."}, 31, 2, false)));
  v1::ScoreResponse response;
  grpc::Status status = Score(judge_->grpc_address(), Request("llm"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::vector<tier_worker::testing::SeenRequest> seen = upstream_->requests();
  ASSERT_EQ(seen.size(), 1u);
  const nlohmann::json& sent = seen[0].body;
  EXPECT_EQ(sent["messages"][0]["content"],
            "Q: What is the capital of France?\nA: Paris.\nCorrect?");
  EXPECT_EQ(sent["logprobs"], true);
  EXPECT_EQ(sent["temperature"], 0);

  EXPECT_EQ(response.path(), "text");
  EXPECT_EQ(response.score(), 1.0);
  EXPECT_EQ(response.usage().prompt_tokens(), 31);
  EXPECT_EQ(response.usage().completion_tokens(), 2);
  EXPECT_EQ(response.cost_pusd(), 31 * kInputPrice + 2 * kOutputPrice);
  EXPECT_THAT(response.rationale(), HasSubstr("the reply starts with 'Yes'"));

  auto metrics = cascade::testing::HttpGet(judge_->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body, HasSubstr("cascade_judge_score_count{method=\"llm\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("cascade_judge_cost_usd_total{method=\"llm\"}"));
}

TEST_F(JudgeOverFakeUpstreamTest, EquivalenceComparesTheAnswerWithTheReference) {
  upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"No"}, 48, 1, false)));
  v1::ScoreRequest request = Request("equivalence");
  request.set_reference_answer("Lyon.");
  v1::ScoreResponse response;
  grpc::Status status = Score(judge_->grpc_address(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::vector<tier_worker::testing::SeenRequest> seen = upstream_->requests();
  ASSERT_EQ(seen.size(), 1u);
  const std::string prompt = seen[0].body["messages"][0]["content"];
  EXPECT_THAT(prompt, HasSubstr("Query: What is the capital of France?"));
  EXPECT_THAT(prompt, HasSubstr("Answer A: Lyon."));
  EXPECT_THAT(prompt, HasSubstr("Answer B: Paris."));
  EXPECT_EQ(response.score(), 0.0);
  EXPECT_EQ(response.methods(0).method(), "equivalence");
  EXPECT_EQ(response.cost_pusd(), 48 * kInputPrice + 1 * kOutputPrice);

  // Without a reference there is nothing to compare: the caller's mistake, no model call.
  status = Score(judge_->grpc_address(), Request("equivalence"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("reference_answer"));
  EXPECT_EQ(upstream_->requests().size(), 1u);
}

TEST_F(JudgeOverFakeUpstreamTest, ATierWorkerDownIsUnavailableAndCombinedDegrades) {
  auto judge = StartJudge("llm_tier:\n  address: 127.0.0.1:1\n  timeout: 5s\n");
  ASSERT_NE(judge, nullptr);
  v1::ScoreResponse response;
  grpc::Status status = Score(judge->grpc_address(), Request("llm"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("tier worker at 127.0.0.1:1"));

  v1::ScoreRequest combined = Request("combined");
  combined.add_answer_logprobs()->set_logprob(std::log(0.5));
  v1::ScoreResponse degraded;
  status = Score(judge->grpc_address(), combined, &degraded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NEAR(degraded.score(), 0.5, 1e-9);
  EXPECT_THAT(degraded.rationale(), HasSubstr("degraded to the cheap methods"));
  EXPECT_TRUE(judge->WaitForStderr("judge_degraded", std::chrono::seconds(5)));
  auto metrics = cascade::testing::HttpGet(judge->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, HasSubstr("cascade_judge_degraded_total{reason=\"llm_error\"} 1"));
}

TEST_F(JudgeOverFakeUpstreamTest, BadInputIsInvalidArgument) {
  v1::ScoreRequest request = Request("logprob");
  request.add_answer_logprobs()->set_logprob(0.7);
  v1::ScoreResponse response;
  grpc::Status status = Score(judge_->grpc_address(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("answer_logprobs[0] is 0.7"));
  EXPECT_EQ(upstream_->calls(), 0);
}

}  // namespace
}  // namespace cascade
