// cascade-inference with continuous batching (max_sequences > 1), as clients see it: the real
// binary on loopback serving the bard target twice, one at a time ("serial") and batched.
// Concurrent streams get exactly what the serial model answers each of them; a cancelled
// stream, or one whose deadline passes, leaves the others alone; the batch's metrics; n-gram
// speculation in the batch changes no token; what a batch cannot do is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <vector>

#include "tests/integration/inference/generate_client.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/poll.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using testing::Generation;
using ::testing::HasSubstr;
using testing::ServerProcess;
using v1::GenerateRequest;
using namespace std::chrono_literals;

const std::string kTarget = std::string(CASCADE_SOURCE_DIR) + "/models/bard-target-3m.gguf";
const std::string kBinary = std::string(CASCADE_BIN_DIR) + "/cascade-inference";

std::string Config(const std::string& name, const std::string& models_yaml) {
  return testing::WriteTempConfig(
      name, "server:\n  drain_delay: 0s\n  drain_grace: 2s\nmodels:\n" + models_yaml);
}

GenerateRequest Request(const std::string& model, const std::string& prompt, int max_tokens) {
  GenerateRequest request;
  request.set_model(model);
  request.set_prompt(prompt);
  request.mutable_params()->set_max_tokens(max_tokens);
  request.mutable_params()->set_logprobs(true);
  return request;
}

class BatchedInferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string models =
        "  - name: serial\n    path: " + kTarget +
        "\n    threads: 1\n  - name: batched\n    path: " + kTarget +
        "\n    threads: 2\n    max_sequences: 4\n    max_queue: 16\n    context_length: 160\n";
    auto process = ServerProcess::Start(kBinary, {"--config", Config("batched.yaml", models)});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = process->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Generation Generate(const GenerateRequest& request) {
    return testing::GenerateOn(server_->grpc_address(), request);
  }

  std::string Metrics() {
    auto reply = testing::HttpGet(server_->metrics_address(), "/metrics");
    return reply.ok() ? reply->body : "";
  }

  static ServerProcess* server_;
};

ServerProcess* BatchedInferenceTest::server_ = nullptr;

// Six requests at once, more than the batch holds: greedy and seeded sampling, of different
// lengths, one with a stop string, so that sequences join and leave a running batch.
std::vector<GenerateRequest> MixedRequests(const std::string& model) {
  const std::vector<std::pair<std::string, int>> prompts = {
      {"ROMEO:", 30},    {"JULIET:\nO Romeo, Romeo", 12}, {"First Citizen:", 25},
      {"KING HENRY", 8}, {"To be, or not to be", 20},     {"HAMLET:\nWhat", 16}};
  std::vector<GenerateRequest> requests;
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerateRequest request = Request(model, prompts[i].first, prompts[i].second);
    if (i % 2 == 1) {
      request.mutable_params()->set_temperature(0.8f);
      request.mutable_params()->set_seed(40 + i);
    }
    // A stop string ends one sequence early, in the middle of the others.
    if (i == 0) request.mutable_params()->add_stop("you");
    requests.push_back(request);
  }
  return requests;
}

TEST_F(BatchedInferenceTest, ConcurrentStreamsGetWhatTheSerialModelAnswers) {
  std::vector<std::future<Generation>> batched;
  for (const auto& request : MixedRequests("batched")) {
    batched.push_back(
        std::async(std::launch::async, [this, request] { return Generate(request); }));
  }
  const auto serial_requests = MixedRequests("serial");
  for (size_t i = 0; i < serial_requests.size(); ++i) {
    const Generation serial = Generate(serial_requests[i]);
    const Generation got = batched[i].get();
    ASSERT_TRUE(serial.status.ok()) << serial.status.error_message();
    ASSERT_TRUE(got.status.ok()) << got.status.error_message();
    EXPECT_EQ(got.tokens, serial.tokens) << "request " << i;
    EXPECT_EQ(got.text, serial.text) << "request " << i;
    ASSERT_EQ(got.logprobs.size(), serial.logprobs.size());
    for (size_t j = 0; j < got.logprobs.size(); ++j) {
      EXPECT_EQ(got.logprobs[j].logprob(), serial.logprobs[j].logprob()) << i << ", " << j;
    }
    EXPECT_EQ(got.last.finish_reason(), serial.last.finish_reason());
    EXPECT_EQ(got.last.usage().completion_tokens(), serial.last.usage().completion_tokens());
  }
}

TEST_F(BatchedInferenceTest, ACancelledStreamLeavesTheOthersAlone) {
  auto stub = v1::InferenceService::NewStub(
      grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto cancelled = stub->Generate(&context, Request("batched", "MERCUTIO:", 120));
  std::vector<std::future<Generation>> others;
  for (const char* prompt : {"ROMEO:", "JULIET:"}) {
    others.push_back(std::async(
        std::launch::async, [this, prompt] { return Generate(Request("batched", prompt, 40)); }));
  }
  v1::GenerateChunk chunk;
  ASSERT_TRUE(cancelled->Read(&chunk));
  context.TryCancel();
  while (cancelled->Read(&chunk)) {
  }
  EXPECT_EQ(cancelled->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 2; ++i) {
    const Generation got = others[i].get();
    ASSERT_TRUE(got.status.ok()) << got.status.error_message();
    EXPECT_EQ(got.tokens, Generate(Request("serial", i == 0 ? "ROMEO:" : "JULIET:", 40)).tokens);
  }
}

TEST_F(BatchedInferenceTest, ADeadlineEndsOneSequenceAndNotTheOthers) {
  // One long request with a short deadline among two ordinary ones, all in one batch.
  std::future<Generation> hurried = std::async(std::launch::async, [this] {
    return testing::GenerateOn(server_->grpc_address(), Request("batched", "MERCUTIO:", 150),
                               std::chrono::milliseconds(150));
  });
  std::vector<std::future<Generation>> others;
  for (const char* prompt : {"ROMEO:", "JULIET:"}) {
    others.push_back(std::async(
        std::launch::async, [this, prompt] { return Generate(Request("batched", prompt, 60)); }));
  }
  EXPECT_EQ(hurried.get().status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  for (int i = 0; i < 2; ++i) {
    const Generation got = others[i].get();
    ASSERT_TRUE(got.status.ok()) << got.status.error_message();
    EXPECT_EQ(got.tokens, Generate(Request("serial", i == 0 ? "ROMEO:" : "JULIET:", 60)).tokens);
  }
}

TEST_F(BatchedInferenceTest, MetricsShowTheBatchTheCacheAndReusedPrefixes) {
  // A prompt long enough to be worth reusing, twice: the second finds it in a slot.
  std::string prompt = "ROMEO:\n";
  for (int i = 0; i < 6; ++i) prompt += "But soft, what light through yonder window breaks? ";
  ASSERT_TRUE(Generate(Request("batched", prompt, 4)).status.ok());
  ASSERT_TRUE(Generate(Request("batched", prompt, 4)).status.ok());
  ASSERT_TRUE(Generate(Request("serial", prompt, 4)).status.ok());
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("cascade_inference_batch_sequences_count{model=\"batched\"}"));
  EXPECT_THAT(metrics, HasSubstr("cascade_inference_kv_cache_usage_ratio{model=\"batched\"}"));
  EXPECT_THAT(metrics, HasSubstr("cascade_inference_queue_wait_seconds_count{model=\"batched\"}"));
  EXPECT_THAT(metrics, HasSubstr("cascade_inference_queue_wait_seconds_count{model=\"serial\"}"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_prefix_reused_tokens_total{model=\"batched\"}"));
  // The serial model has no batch.
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr("batch_sequences_count{model=\"serial\"}")));
}

// n-gram speculation inside the batch: concurrent streams that ask for it get the serial
// model's tokens without it, and their last chunk counts the drafts.
TEST_F(BatchedInferenceTest, NgramSpeculationInTheBatchChangesNoToken) {
  std::vector<std::future<Generation>> batched;
  const std::vector<std::string> prompts = {"ROMEO:", "JULIET:", "First Citizen:"};
  for (const std::string& prompt : prompts) {
    GenerateRequest request = Request("batched", prompt, 48);
    request.mutable_speculation()->set_mode(v1::Speculation::NGRAM);
    request.mutable_speculation()->set_ngram_size(2);
    batched.push_back(
        std::async(std::launch::async, [this, request] { return Generate(request); }));
  }
  int64_t accepted = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Generation got = batched[i].get();
    ASSERT_TRUE(got.status.ok()) << got.status.error_message();
    const Generation serial = Generate(Request("serial", prompts[i], 48));
    EXPECT_EQ(got.tokens, serial.tokens) << prompts[i];
    EXPECT_EQ(got.text, serial.text) << prompts[i];
    EXPECT_GT(got.last.speculation().rounds(), 0) << prompts[i];
    accepted += got.last.speculation().accepted_tokens();
  }
  EXPECT_GT(accepted, 0);
  EXPECT_THAT(Metrics(), HasSubstr("cascade_speculative_accepted_tokens_total{drafter=\"ngram\","
                                   "model=\"batched\"}"));
}

TEST_F(BatchedInferenceTest, ADraftModelIsRefusedWithTheReason) {
  GenerateRequest request = Request("batched", "ROMEO:", 4);
  request.mutable_speculation()->set_mode(v1::Speculation::DRAFT_MODEL);
  request.mutable_speculation()->set_draft_model("serial");
  const Generation result = Generate(request);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(),
              HasSubstr("speculation by draft model is not available"));
  EXPECT_TRUE(Generate(Request("batched", "ROMEO:", 2)).status.ok());
}

TEST_F(BatchedInferenceTest, ASmallerContextIsReportedAndEnforced) {
  auto stub = v1::InferenceService::NewStub(
      grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::ListModelsResponse models;
  ASSERT_TRUE(stub->ListModels(&context, v1::ListModelsRequest(), &models).ok());
  std::map<std::string, int> context_length;
  for (const auto& model : models.models()) context_length[model.name()] = model.context_length();
  EXPECT_EQ(context_length["batched"], 160);
  EXPECT_EQ(context_length["serial"], 256);
  const Generation result = Generate(Request("batched", "ROMEO:", 200));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(result.status.error_message(), HasSubstr("context length of 160"));
}

TEST(BatchedInferenceStartupTest, ConfigsABatchCannotServeStopTheServer) {
  struct Case {
    std::string yaml, message;
  };
  const std::vector<Case> cases = {
      {"    max_sequences: 1000\n", "max_sequences must be between 1 and 256, got 1000"},
      {"    max_sequences: -2\n", "max_sequences and context_length must be >= 0"},
      {"    max_sequences: 4\n    default_speculation:\n      mode: DRAFT_MODEL\n"
       "      draft_model: batched\n",
       "default_speculation DRAFT_MODEL and max_sequences > 1 do not go together"},
      {"    context_length: 1000\n", "context_length 1000 is more than the model's 256"}};
  for (const Case& c : cases) {
    const std::string config =
        Config("bad_batch.yaml", "  - name: batched\n    path: " + kTarget + "\n" + c.yaml);
    std::string output;
    auto result = ServerProcess::RunToExit(kBinary, {"--config", config}, &output);
    EXPECT_NE(result.code, 0) << c.yaml;
    EXPECT_THAT(output, HasSubstr(c.message)) << c.yaml;
  }
}

// default_speculation AUTO on a batch: the server measures how a pass's cost grows with its
// tokens, logs what it chose and up to how many tokens a step may hold with drafts, and serves
// with it; whatever it chose, greedy output is the serial model's.
TEST(BatchedInferenceStartupTest, AutoSpeculationMeasuresTheBatchAndSaysWhy) {
  const std::string models = "  - name: batched\n    path: " + kTarget +
                             "\n    threads: 1\n    max_sequences: 2\n"
                             "    default_speculation:\n      mode: AUTO\n";
  auto process = ServerProcess::Start(kBinary, {"--config", Config("auto_batch.yaml", models)});
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->WaitForStderr("speculation_chosen", 5s));
  const std::string log = (*process)->Stderr();
  EXPECT_THAT(log, ::testing::ContainsRegex("\"draft_step_tokens\":[0-9]+"));
  EXPECT_THAT(log, ::testing::ContainsRegex("\"mode\":\"(NONE|NGRAM)\""));
  GenerateRequest request = Request("batched", "JULIET:", 24);
  const Generation chosen = testing::GenerateOn((*process)->grpc_address(), request);
  request.mutable_speculation()->set_mode(v1::Speculation::NONE);
  const Generation plain = testing::GenerateOn((*process)->grpc_address(), request);
  ASSERT_TRUE(chosen.status.ok()) << chosen.status.error_message();
  ASSERT_TRUE(plain.status.ok());
  EXPECT_EQ(chosen.tokens, plain.tokens);
}

}  // namespace
}  // namespace cascade
