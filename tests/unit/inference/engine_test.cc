// The request API: input validation with messages that name the limit, logprobs, streaming,
// cancellation, cache reuse between requests, and one model shared by engines on two threads.
#include "services/inference/engine/engine.h"

#include <cmath>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using testing::Draft;
using ::testing::HasSubstr;
using testing::Target;

GenerateOptions Request(const std::string& text, int max_tokens) {
  GenerateOptions request;
  request.prompt = *Target()->tokenizer().Encode(text);
  request.max_tokens = max_tokens;
  return request;
}

void ExpectInvalid(Engine& engine, const GenerateOptions& request, const std::string& needle) {
  auto result = engine.Generate(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(needle));
}

TEST(EngineValidation, RejectsBadLimits) {
  Engine engine(Target(), {});
  ExpectInvalid(engine, Request("ROMEO:", 0), "max_tokens must be at least 1, got 0");
  ExpectInvalid(engine, Request("ROMEO:", 1000000000), "context length of 256");
  GenerateOptions too_long = Request("", 1);
  too_long.prompt.assign(300, 5);
  ExpectInvalid(engine, too_long, "the prompt has 300 tokens, more than the context length of 256");
  GenerateOptions empty = Request("", 1);
  empty.prompt.clear();
  ExpectInvalid(engine, empty, "the prompt is empty");
  GenerateOptions bad_token = Request("ROMEO:", 1);
  bad_token.prompt.push_back(1024);
  ExpectInvalid(engine, bad_token, "prompt token 1024 is outside the vocabulary of 1024");
}

TEST(EngineValidation, RejectsBadSamplingAndSpeculation) {
  Engine engine(Target(), {});
  auto request = Request("ROMEO:", 4);
  request.sampling.temperature = -1;
  ExpectInvalid(engine, request, "temperature");
  request = Request("ROMEO:", 4);
  request.sampling.top_p = 0;
  ExpectInvalid(engine, request, "top_p");
  request = Request("ROMEO:", 4);
  request.top_logprobs = 21;
  ExpectInvalid(engine, request, "top_logprobs must be between 0 and 20");
  request = Request("ROMEO:", 4);
  request.speculation.mode = SpeculationOptions::Mode::kDraftModel;
  ExpectInvalid(engine, request, "needs a draft model");
  request.speculation.draft_model = Draft();
  request.speculation.max_draft_tokens = 17;
  ExpectInvalid(engine, request, "max_draft_tokens must be between 1 and 16");
}

TEST(EngineValidation, RefusesDraftModelWithAnotherVocabulary) {
  Engine engine(Target(), {});
  testing::TempFile smaller_file("vocab300.gguf");
  testing::TempFile same_size_file("vocab1024.gguf");
  auto request = Request("ROMEO:", 4);
  request.speculation.mode = SpeculationOptions::Mode::kDraftModel;
  request.speculation.draft_model = testing::TinyModel(smaller_file, nullptr, 300);
  ExpectInvalid(engine, request, "the draft has 300 tokens and the target 1024");
  request.speculation.draft_model = testing::TinyModel(same_size_file, nullptr, 1024);
  ExpectInvalid(engine, request, "needs the same vocabulary, but token 259");
}

TEST(Engine, LogprobsAreLogSoftmaxOfRawLogits) {
  Engine engine(Target(), {});
  auto request = Request("ROMEO:", 6);
  request.logprobs = true;
  request.top_logprobs = 5;
  auto result = engine.Generate(request);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->logprobs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const TokenLogprob& entry = result->logprobs[i];
    EXPECT_EQ(entry.token, result->tokens[i]);
    EXPECT_LE(entry.logprob, 0.0f);
    ASSERT_EQ(entry.top.size(), 5u);
    EXPECT_EQ(entry.top[0].token, entry.token);  // greedy picks the most likely
    EXPECT_FLOAT_EQ(entry.top[0].logprob, entry.logprob);
    for (size_t j = 1; j < 5; ++j) EXPECT_LE(entry.top[j].logprob, entry.top[j - 1].logprob);
  }
  // Check one against a direct computation from the logits.
  ThreadPool pool(1);
  Session session(Target(), pool);
  ASSERT_TRUE(session.Forward(request.prompt, 1).ok());
  const auto logits = session.logits(0);
  double sum = 0;
  for (float l : logits) sum += std::exp(double{l});
  EXPECT_NEAR(result->logprobs[0].logprob, logits[result->tokens[0]] - std::log(sum), 1e-4);
}

TEST(Engine, StreamsTextAndCancels) {
  Engine engine(Target(), {});
  auto request = Request("ROMEO:", 20);
  std::string streamed;
  int calls = 0;
  auto result = engine.Generate(request, [&](const GeneratedToken& token) {
    EXPECT_EQ(token.index, calls);
    streamed += std::string(token.text);
    return ++calls < 5;
  });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(result->tokens.size(), 5u);
  EXPECT_EQ(streamed, result->text);
  EXPECT_EQ(result->text, Target()->tokenizer().Decode(result->tokens));
}

// An engine reuses its cache across requests; results must not depend on what ran before.
TEST(Engine, ResultsDoNotDependOnEarlierRequests) {
  Engine reused(Target(), {});
  std::vector<std::vector<int>> first_pass;
  const std::vector<std::string> prompts = {"ROMEO:", "ROMEO: I", "JULIET:", "ROMEO:"};
  for (const auto& text : prompts) first_pass.push_back(reused.Generate(Request(text, 8))->tokens);
  for (size_t i = 0; i < prompts.size(); ++i) {
    Engine fresh(Target(), {});
    EXPECT_EQ(fresh.Generate(Request(prompts[i], 8))->tokens, first_pass[i]) << prompts[i];
  }
}

// One Model, two engines, two threads at once: the weights are shared read-only.
TEST(Engine, ModelIsSharedAcrossThreads) {
  const auto expected = Engine(Target(), {}).Generate(Request("ROMEO:", 16))->tokens;
  std::vector<int> a, b;
  std::thread first([&] { a = Engine(Target(), {}).Generate(Request("ROMEO:", 16))->tokens; });
  std::thread second(
      [&] { b = Engine(Target(), {.threads = 2}).Generate(Request("ROMEO:", 16))->tokens; });
  first.join();
  second.join();
  EXPECT_EQ(a, expected);
  EXPECT_EQ(b, expected);
}

TEST(Engine, ReportsUsageAndFinishReason) {
  Engine engine(Target(), {});
  auto result = engine.Generate(Request("ROMEO:", 7));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->prompt_tokens, 3);
  EXPECT_EQ(result->tokens.size(), 7u);
  EXPECT_EQ(result->finish_reason, FinishReason::kLength);
  EXPECT_EQ(FinishReasonName(result->finish_reason), "length");
  EXPECT_GE(result->prefill_seconds, 0);
}

}  // namespace
}  // namespace cascade::engine
