// cascade-judge -> cascade-tier-worker -> cascade-inference with the bundled bard model,
// all real binaries on loopback. The bard model cannot judge anything; this checks the
// mechanics: P(verdict) is read from the first token's top logprobs (path "logprobs"),
// with verdict words from the bard vocabulary, and the call's usage and cost come back
// exactly as the tier prices them.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "cascade/v1/judge.grpc.pb.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::testing::ServerProcess;
using ::testing::HasSubstr;

// 0.30 and 1.20 USD per million tokens (pico-USD per token).
constexpr int64_t kInputPrice = 300000;
constexpr int64_t kOutputPrice = 1200000;

class JudgeOverBardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string models = std::string(CASCADE_SOURCE_DIR) + "/models";
    auto inference = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-inference",
        {"--config",
         cascade::testing::WriteTempConfig("judge_inference.yaml",
                                           "server:\n  drain_delay: 0s\nmodels:\n"
                                           "  - name: bard-target\n    path: " +
                                               models + "/bard-target-3m.gguf\n    threads: 1\n")});
    ASSERT_TRUE(inference.ok()) << inference.status();
    inference_ = *std::move(inference);
    auto tier = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-tier-worker",
        {"--config", cascade::testing::WriteTempConfig("judge_bard_tier.yaml",
                                                       "server:\n  drain_delay: 0s\ntier: small\n"
                                                       "inference:\n  endpoint:\n    address: " +
                                                           inference_->grpc_address() +
                                                           "\n  model: bard-target\n"
                                                           "price:\n  input_usd_per_mtok: 0.30\n"
                                                           "  output_usd_per_mtok: 1.20\n")});
    ASSERT_TRUE(tier.ok()) << tier.status();
    tier_ = *std::move(tier);
    // The prompt ends where a speaker's line begins. The bard tokenizer starts such a
    // line with a single letter, so the verdict words are the first tokens of "Yes" and
    // "No": "Y" and "N", both among the top 20 there (measured: about -3.3 and -2.7).
    auto judge = ServerProcess::Start(
        std::string(CASCADE_BIN_DIR) + "/cascade-judge",
        {"--config",
         cascade::testing::WriteTempConfig(
             "judge_bard.yaml",
             "server:\n  drain_delay: 0s\nllm_tier:\n  address: " + tier_->grpc_address() +
                 "\nllm:\n"
                 "  prompt_template: \"{query}\\n{answer}\\nIs it so?\\n\\nROMEO:\\n\"\n"
                 "  yes_words: [\"Y\"]\n"
                 "  no_words: [\"N\"]\n"
                 "  case_sensitive: true\n"
                 "  top_logprobs: 20\n"
                 "  max_tokens: 2\n")});
    ASSERT_TRUE(judge.ok()) << judge.status();
    judge_ = *std::move(judge);
  }

  std::unique_ptr<ServerProcess> inference_;
  std::unique_ptr<ServerProcess> tier_;
  std::unique_ptr<ServerProcess> judge_;
};

TEST_F(JudgeOverBardTest, ReadsTheVerdictFromTopLogprobsAndReportsTheCost) {
  v1::ScoreRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("Who is the king?");
  request.set_answer("The king is Richard.");
  request.add_methods("llm");
  auto stub = v1::Judge::NewStub(
      grpc::CreateChannel(judge_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ScoreResponse response;
  grpc::Status status = stub->Score(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(response.path(), "logprobs");
  ASSERT_EQ(response.methods_size(), 1);
  EXPECT_EQ(response.methods(0).path(), "logprobs");
  EXPECT_THAT(response.rationale(), HasSubstr("first token: P(yes)="));
  EXPECT_GT(response.score(), 0.0);
  EXPECT_LT(response.score(), 1.0);
  EXPECT_GT(response.usage().prompt_tokens(), 10);
  EXPECT_GE(response.usage().completion_tokens(), 1);
  EXPECT_LE(response.usage().completion_tokens(), 2);
  EXPECT_EQ(response.cost_pusd(), response.usage().prompt_tokens() * kInputPrice +
                                      response.usage().completion_tokens() * kOutputPrice);
  EXPECT_EQ(response.methods(0).cost_pusd(), response.cost_pusd());
}

}  // namespace
}  // namespace cascade
