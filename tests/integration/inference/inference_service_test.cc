// cascade-inference as clients see it: the real binary with the bundled bard pair, on
// loopback. Streaming, speculation, stop strings, limits, queueing, deadlines,
// cancellation, metrics, and chat templates (from the file, from the config, the fallback).

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <future>

#include "cascade/v1/inference.grpc.pb.h"
#include "services/inference/engine/gguf.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/quantize.h"
#include "services/inference/engine/random_model.h"
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
using v1::GenerateChunk;
using v1::GenerateRequest;
using v1::InferenceService;
using v1::Speculation;
using namespace std::chrono_literals;

const std::string kModels = std::string(CASCADE_SOURCE_DIR) + "/models";
const std::string kBinary = std::string(CASCADE_BIN_DIR) + "/cascade-inference";

std::string WriteConfig(const std::string& name, const std::string& models_yaml) {
  return testing::WriteTempConfig(
      name, "server:\n  drain_delay: 0s\n  drain_grace: 2s\nmodels:\n" + models_yaml);
}

std::string BardPair(int max_queue) {
  return "  - name: target\n    path: " + kModels +
         "/bard-target-3m.gguf\n    threads: 1\n    max_queue: " + std::to_string(max_queue) +
         "\n  - name: draft\n    path: " + kModels + "/bard-draft-0.5m.gguf\n    threads: 1\n";
}

class InferenceServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto process =
        ServerProcess::Start(kBinary, {"--config", WriteConfig("inference.yaml", BardPair(2))});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = process->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::unique_ptr<InferenceService::Stub> Stub() {
    return InferenceService::NewStub(
        grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  Generation Generate(const GenerateRequest& request,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
    return testing::GenerateOn(server_->grpc_address(), request, timeout);
  }

  static GenerateRequest Request(const std::string& prompt, int max_tokens) {
    GenerateRequest request;
    request.set_model("target");
    request.set_prompt(prompt);
    request.mutable_params()->set_max_tokens(max_tokens);
    return request;
  }

  std::string Metrics() {
    auto reply = testing::HttpGet(server_->metrics_address(), "/metrics");
    return reply.ok() ? reply->body : "";
  }

  static ServerProcess* server_;
};

ServerProcess* InferenceServiceTest::server_ = nullptr;

TEST_F(InferenceServiceTest, GreedyStreamMatchesTheKnownContinuation) {
  GenerateRequest request = Request("ROMEO:", 16);
  request.mutable_params()->set_logprobs(true);
  request.mutable_params()->set_top_logprobs(3);
  Generation result = Generate(request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_THAT(result.text, ::testing::StartsWith("\nI'll tell you, I am not so,"));
  EXPECT_EQ(result.tokens.size(), 16u);
  ASSERT_EQ(result.logprobs.size(), 16u);
  for (const auto& logprob : result.logprobs) {
    EXPECT_LE(logprob.logprob(), 0.0);
    ASSERT_EQ(logprob.top_size(), 3);
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(logprob.top(0).token_id(), logprob.token_id());
    EXPECT_GE(logprob.top(0).logprob(), logprob.top(1).logprob());
  }
  EXPECT_EQ(result.last.finish_reason(), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(result.last.usage().prompt_tokens(), 3);  // BOS, "ROMEO", ":".
  EXPECT_EQ(result.last.usage().completion_tokens(), 16);
}

TEST_F(InferenceServiceTest, SpeculationChangesNothingButTheStatistics) {
  Generation plain = Generate(Request("JULIET:", 40));
  ASSERT_TRUE(plain.status.ok());
  for (auto mode : {Speculation::DRAFT_MODEL, Speculation::NGRAM}) {
    GenerateRequest request = Request("JULIET:", 40);
    request.mutable_speculation()->set_mode(mode);
    request.mutable_speculation()->set_draft_model("draft");
    request.mutable_speculation()->set_max_draft_tokens(4);
    request.mutable_speculation()->set_ngram_size(2);
    Generation speculative = Generate(request);
    ASSERT_TRUE(speculative.status.ok()) << speculative.status.error_message();
    EXPECT_EQ(speculative.tokens, plain.tokens) << Speculation::Mode_Name(mode);
    EXPECT_EQ(speculative.text, plain.text);
    EXPECT_GT(speculative.last.speculation().rounds(), 0) << Speculation::Mode_Name(mode);
    EXPECT_GE(speculative.last.speculation().draft_tokens(),
              speculative.last.speculation().accepted_tokens());
  }
  std::string metrics = Metrics();
  EXPECT_THAT(
      metrics,
      HasSubstr("cascade_speculative_rounds_total{drafter=\"draft_model\",model=\"target\"}"));
  EXPECT_THAT(
      metrics,
      HasSubstr("cascade_speculative_draft_tokens_total{drafter=\"ngram\",model=\"target\"}"));
}

TEST_F(InferenceServiceTest, StopStringEndsTheAnswerBeforeIt) {
  Generation full = Generate(Request("ROMEO:", 16));
  ASSERT_TRUE(full.status.ok());
  GenerateRequest request = Request("ROMEO:", 16);
  request.mutable_params()->add_stop("you");
  Generation stopped = Generate(request);
  ASSERT_TRUE(stopped.status.ok());
  EXPECT_EQ(stopped.text, full.text.substr(0, full.text.find("you")));
  EXPECT_EQ(stopped.last.finish_reason(), v1::FINISH_REASON_STOP);
}

TEST_F(InferenceServiceTest, ChatMessagesAreRendered) {
  GenerateRequest request;
  request.set_model("target");
  auto* message = request.mutable_messages()->add_messages();
  message->set_role("user");
  message->set_content("ROMEO:");
  request.mutable_params()->set_max_tokens(8);
  Generation result = Generate(request);
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.tokens, Generate(Request("ROMEO:", 8)).tokens);
}

TEST_F(InferenceServiceTest, SeededSamplingRepeats) {
  GenerateRequest request = Request("KING:", 20);
  request.mutable_params()->set_temperature(0.9f);
  request.mutable_params()->set_top_k(40);
  request.mutable_params()->set_seed(1234);
  Generation first = Generate(request);
  Generation second = Generate(request);
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.tokens, second.tokens);
}

TEST_F(InferenceServiceTest, BadInputGetsTheRightCodeAndNamesTheLimit) {
  struct Case {
    std::string what;
    GenerateRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  GenerateRequest unknown = Request("x", 4);
  unknown.set_model("gpt-9");
  cases.push_back({"unknown model", unknown, grpc::StatusCode::NOT_FOUND, "loaded: draft, target"});
  cases.push_back({"huge max_tokens", Request("x", 1 << 30), grpc::StatusCode::INVALID_ARGUMENT,
                   "limit of 4096"});
  cases.push_back({"negative max_tokens", Request("x", -5), grpc::StatusCode::INVALID_ARGUMENT,
                   "max_tokens must be >= 0"});
  cases.push_back({"max_tokens past the context", Request("x", 300),
                   grpc::StatusCode::INVALID_ARGUMENT, "context length of 256"});
  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += "the king ";
  cases.push_back({"prompt past the context", Request(long_prompt, 4),
                   grpc::StatusCode::INVALID_ARGUMENT, "the limit is 256"});
  cases.push_back({"empty prompt", Request("", 4), grpc::StatusCode::INVALID_ARGUMENT, "empty"});
  GenerateRequest nan = Request("x", 4);
  nan.mutable_params()->set_temperature(std::nanf(""));
  cases.push_back({"NaN temperature", nan, grpc::StatusCode::INVALID_ARGUMENT, "temperature"});
  GenerateRequest top_p = Request("x", 4);
  top_p.mutable_params()->set_top_p(1.5f);
  cases.push_back({"top_p over 1", top_p, grpc::StatusCode::INVALID_ARGUMENT, "top_p"});
  GenerateRequest stops = Request("x", 4);
  for (int i = 0; i < 5; ++i) stops.mutable_params()->add_stop("s");
  cases.push_back({"five stop strings", stops, grpc::StatusCode::INVALID_ARGUMENT, "limit is 4"});
  GenerateRequest draft = Request("x", 4);
  draft.mutable_speculation()->set_mode(Speculation::DRAFT_MODEL);
  draft.mutable_speculation()->set_draft_model("nope");
  cases.push_back({"unknown draft", draft, grpc::StatusCode::NOT_FOUND, "draft_model 'nope'"});
  GenerateRequest role;
  role.set_model("target");
  auto* message = role.mutable_messages()->add_messages();
  message->set_role("wizard");
  message->set_content("hi");
  cases.push_back({"unknown role", role, grpc::StatusCode::INVALID_ARGUMENT, "'wizard'"});
  for (const Case& c : cases) {
    Generation result = Generate(c.request);
    EXPECT_EQ(result.status.error_code(), c.code)
        << c.what << ": " << result.status.error_message();
    EXPECT_THAT(result.status.error_message(), HasSubstr(c.message)) << c.what;
    EXPECT_TRUE(result.tokens.empty()) << c.what;
  }
  // The server is still fine.
  EXPECT_TRUE(Generate(Request("ROMEO:", 2)).status.ok());
}

TEST_F(InferenceServiceTest, TokenizeAndListModels) {
  auto stub = Stub();
  grpc::ClientContext context;
  v1::TokenizeRequest request;
  request.set_model("target");
  request.set_text("ROMEO:");
  request.set_add_bos(true);
  v1::TokenizeResponse response;
  ASSERT_TRUE(stub->Tokenize(&context, request, &response).ok());
  EXPECT_THAT(response.token_ids(), ::testing::ElementsAre(1, 826, 983));

  grpc::ClientContext list_context;
  v1::ListModelsResponse models;
  ASSERT_TRUE(stub->ListModels(&list_context, v1::ListModelsRequest(), &models).ok());
  ASSERT_EQ(models.models_size(), 2);
  EXPECT_EQ(models.models(1).name(), "target");
  EXPECT_EQ(models.models(1).parameters(), 3213568);
  EXPECT_EQ(models.models(1).context_length(), 256);
  EXPECT_EQ(models.models(1).weight_type(), "F32");
}

TEST_F(InferenceServiceTest, CancellationStopsGenerationAtOnce) {
  auto stub = Stub();
  grpc::ClientContext context;
  auto reader = stub->Generate(&context, Request("ROMEO:", 250));
  GenerateChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(testing::PollUntil(
      [&] { return Metrics().find("outcome=\"cancelled\"") != std::string::npos; }, 20s));
  // The model is free again: a short request runs now.
  EXPECT_TRUE(Generate(Request("ROMEO:", 2), 20000ms).status.ok());
}

TEST_F(InferenceServiceTest, FullQueueIsRefusedAndExpiredRequestsAreDropped) {
  // One running, two waiting (max_queue 2): the next is refused.
  auto stub = Stub();
  grpc::ClientContext running_context;
  auto running = stub->Generate(&running_context, Request("ROMEO:", 250));
  GenerateChunk chunk;
  ASSERT_TRUE(running->Read(&chunk));  // It is running, not queued.

  std::vector<std::future<Generation>> waiting;
  waiting.push_back(std::async(std::launch::async, [&] { return Generate(Request("ROMEO:", 2)); }));
  waiting.push_back(std::async(std::launch::async, [&] {
    return Generate(Request("ROMEO:", 2), std::chrono::milliseconds(100));
  }));
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        return Metrics().find("cascade_inference_queue_depth{model=\"target\"} 2") !=
               std::string::npos;
      },
      20s));
  Generation refused = Generate(Request("ROMEO:", 2));
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("max_queue"));

  // The 100 ms caller gives up while the first request still runs...
  EXPECT_EQ(waiting[1].get().status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  running_context.TryCancel();
  while (running->Read(&chunk)) {
  }
  running->Finish();
  EXPECT_TRUE(waiting[0].get().status.ok());
  // ...and the server drops its request when it comes up, without running it.
  EXPECT_TRUE(testing::PollUntil(
      [&] { return Metrics().find("outcome=\"deadline_exceeded\"") != std::string::npos; }, 20s));
}

TEST_F(InferenceServiceTest, MetricsCountTokensAndLatency) {
  ASSERT_TRUE(Generate(Request("ROMEO:", 5)).status.ok());
  std::string metrics = Metrics();
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_tokens_total{direction=\"output\",model=\"target\"}"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_tokens_total{direction=\"input\",model=\"target\"}"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_requests_total{model=\"target\",outcome=\"ok\"}"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_time_to_first_token_seconds_count{model=\"target\"}"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_inference_time_per_output_token_seconds_count{model=\"target\"}"));
}

TEST(InferenceStartupTest, CorruptModelFileStopsTheServerWithTheFileNamed) {
  std::string corrupt = ::testing::TempDir() + "/corrupt.gguf";
  std::ofstream(corrupt) << "GGUF but not really a model";
  std::string config = WriteConfig("corrupt.yaml", "  - name: broken\n    path: " + corrupt + "\n");
  std::string output;
  auto result = ServerProcess::RunToExit(kBinary, {"--config", config}, &output);
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(output, HasSubstr("corrupt.gguf"));
  EXPECT_THAT(output, HasSubstr("models[0] 'broken'"));
}

TEST(InferenceStartupTest, UnknownDefaultDraftModelStopsTheServer) {
  std::string config = WriteConfig(
      "bad_draft.yaml", "  - name: target\n    path: " + kModels +
                            "/bard-target-3m.gguf\n    default_speculation:\n      mode: "
                            "DRAFT_MODEL\n      draft_model: missing\n");
  std::string output;
  auto result = ServerProcess::RunToExit(kBinary, {"--config", config}, &output);
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(output, HasSubstr("draft_model 'missing' is not a loaded model"));
}

// A copy of the bard draft whose file carries `chat_template` as tokenizer.chat_template.
std::string DraftWithChatTemplate(const std::string& name, const std::string& chat_template) {
  auto in = engine::GgufFile::Open(kModels + "/bard-draft-0.5m.gguf");
  EXPECT_TRUE(in.ok()) << in.status();
  engine::GgufWriter writer;
  EXPECT_TRUE(engine::QuantizeModel(**in, engine::TensorType::kF32, writer).ok());
  writer.SetMetadata("tokenizer.chat_template", engine::GgufString(chat_template));
  const std::string path = ::testing::TempDir() + "/" + name + ".gguf";
  EXPECT_TRUE(writer.WriteFile(path).ok());
  return path;
}

class InferenceChatTemplateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string chatml = DraftWithChatTemplate(
        "chatml",
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}");
    const std::string unknown = DraftWithChatTemplate("unknown", "{{ messages | tojson }}");
    // A tiny Qwen 3 model, for what ListModels says of another architecture.
    engine::RandomModelSpec qwen3;
    qwen3.config = {.dim = 64,
                    .layers = 1,
                    .heads = 4,
                    .kv_heads = 2,
                    .head_dim = 32,
                    .ffn_dim = 128,
                    .vocab_size = 300,
                    .context_length = 64,
                    .architecture = engine::Architecture::kQwen3};
    engine::GgufWriter writer;
    ASSERT_TRUE(engine::WriteRandomModel(qwen3, writer).ok());
    const std::string qwen3_path = ::testing::TempDir() + "/tiny_qwen3.gguf";
    ASSERT_TRUE(writer.WriteFile(qwen3_path).ok());
    const std::string models =
        "  - name: chatml\n    path: " + chatml + "\n    threads: 1\n" +
        "  - name: unknown\n    path: " + unknown + "\n    threads: 1\n" +
        "  - name: named\n    path: " + chatml + "\n    threads: 1\n    chat_template: gemma\n" +
        "  - name: none\n    path: " + kModels + "/bard-draft-0.5m.gguf\n    threads: 1\n" +
        "  - name: qwen3\n    path: " + qwen3_path + "\n    threads: 1\n    device: cpu\n";
    auto process = ServerProcess::Start(kBinary, {"--config", WriteConfig("chat.yaml", models)});
    ASSERT_TRUE(process.ok()) << process.status();
    server_ = process->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static std::vector<int> Tokens(const GenerateRequest& request) {
    auto stub = InferenceService::NewStub(
        grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    auto reader = stub->Generate(&context, request);
    std::vector<int> tokens;
    GenerateChunk chunk;
    while (reader->Read(&chunk))
      tokens.insert(tokens.end(), chunk.token_ids().begin(), chunk.token_ids().end());
    EXPECT_TRUE(reader->Finish().ok());
    return tokens;
  }

  static ServerProcess* server_;
};

ServerProcess* InferenceChatTemplateTest::server_ = nullptr;

TEST_F(InferenceChatTemplateTest, ListModelsSaysWhichTemplateAndWhy) {
  auto stub = InferenceService::NewStub(
      grpc::CreateChannel(server_->grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::ListModelsResponse models;
  ASSERT_TRUE(stub->ListModels(&context, v1::ListModelsRequest(), &models).ok());
  std::map<std::string, v1::ModelInfo> by_name;
  for (const auto& model : models.models()) by_name[model.name()] = model;
  EXPECT_EQ(by_name["chatml"].chat_template(), "chatml");
  EXPECT_EQ(by_name["chatml"].chat_template_source(), "file");
  EXPECT_EQ(by_name["named"].chat_template(), "gemma");
  EXPECT_EQ(by_name["named"].chat_template_source(), "config");
  EXPECT_EQ(by_name["unknown"].chat_template(), "plain");
  EXPECT_THAT(by_name["unknown"].chat_template_source(),
              HasSubstr("fallback: the file's chat template is none of the families"));
  EXPECT_EQ(by_name["none"].chat_template(), "plain");
  EXPECT_THAT(by_name["none"].chat_template_source(), HasSubstr("no tokenizer.chat_template"));
  EXPECT_EQ(by_name["none"].tokenizer(), "llama (SentencePiece BPE)");
  // The file's architecture and the model's device, whatever the family.
  EXPECT_EQ(by_name["none"].architecture(), "llama");
  EXPECT_EQ(by_name["none"].device(), "cpu");
  EXPECT_EQ(by_name["qwen3"].architecture(), "qwen3");
  EXPECT_EQ(by_name["qwen3"].device(), "cpu");
}

TEST_F(InferenceChatTemplateTest, TheFallbackIsLogged) {
  EXPECT_TRUE(server_->WaitForStderr("chat_template_fallback", 5s));
  EXPECT_THAT(server_->Stderr(), HasSubstr("set chat_template in the model's config"));
}

TEST_F(InferenceChatTemplateTest, MessagesAreRenderedWithTheTemplate) {
  GenerateRequest chat;
  chat.set_model("chatml");
  chat.mutable_params()->set_max_tokens(6);
  for (auto [role, content] :
       {std::pair{"system", "Speak as a king."}, std::pair{"user", "ROMEO:"}}) {
    auto* message = chat.mutable_messages()->add_messages();
    message->set_role(role);
    message->set_content(content);
  }
  // The bard vocabulary has no ChatML tokens, so the markup is plain text there: the same
  // tokens as the rendered prompt sent as text.
  GenerateRequest text = chat;
  text.set_prompt(
      "<|im_start|>system\nSpeak as a king.<|im_end|>\n<|im_start|>user\nROMEO:<|im_end|>\n"
      "<|im_start|>assistant\n");
  EXPECT_EQ(Tokens(chat), Tokens(text));
  GenerateRequest plain = chat;
  plain.set_model("unknown");
  GenerateRequest joined = plain;
  joined.set_prompt("Speak as a king.\nROMEO:");
  EXPECT_EQ(Tokens(plain), Tokens(joined));
}

TEST(InferenceStartupTest, UnknownChatTemplateNameStopsTheServer) {
  std::string config =
      WriteConfig("bad_template.yaml", "  - name: target\n    path: " + kModels +
                                           "/bard-target-3m.gguf\n    chat_template: vicuna\n");
  std::string output;
  auto result = ServerProcess::RunToExit(kBinary, {"--config", config}, &output);
  EXPECT_NE(result.code, 0);
  EXPECT_THAT(output, HasSubstr("unknown chat template 'vicuna'"));
  EXPECT_THAT(output, HasSubstr("models[0] 'target'"));
}

}  // namespace
}  // namespace cascade

namespace cascade {
namespace {

// default_speculation AUTO: the server measures the pair at start, logs what it chose and why,
// and serves requests with it; whatever it chose, greedy output is the target's alone.
TEST(InferenceAutoSpeculationTest, TheServerMeasuresChoosesAndSaysWhy) {
  const std::string models =
      "  - name: target\n    path: " + kModels +
      "/bard-target-3m.gguf\n    threads: 1\n    default_speculation:\n      mode: AUTO\n"
      "      draft_model: draft\n  - name: draft\n    path: " +
      kModels + "/bard-draft-0.5m.gguf\n    threads: 1\n";
  auto process =
      ServerProcess::Start(kBinary, {"--config", WriteConfig("auto_speculation.yaml", models)});
  ASSERT_TRUE(process.ok()) << process.status();
  ASSERT_TRUE((*process)->WaitForStderr("speculation_chosen", 5s));
  const std::string log = (*process)->Stderr();
  EXPECT_THAT(log, HasSubstr("\"verify_ratio\""));
  EXPECT_THAT(log, HasSubstr("\"draft_ratio\""));
  EXPECT_THAT(log, ::testing::ContainsRegex("\"mode\":\"(NONE|NGRAM|DRAFT_MODEL)\""));

  GenerateRequest request;
  request.set_model("target");
  request.set_prompt("JULIET:");
  request.mutable_params()->set_max_tokens(24);
  const Generation chosen = testing::GenerateOn((*process)->grpc_address(), request);
  request.mutable_speculation()->set_mode(Speculation::NONE);
  const Generation plain = testing::GenerateOn((*process)->grpc_address(), request);
  ASSERT_TRUE(chosen.status.ok()) << chosen.status.error_message();
  ASSERT_TRUE(plain.status.ok());
  EXPECT_EQ(chosen.tokens, plain.tokens);
}

}  // namespace
}  // namespace cascade
