// The OpenAI request -> CascadeRequest mapping: every supported field, the tolerated ones,
// and a 400 naming the field for what Cascade cannot honour.

#include "services/orchestrator/front_door/openai_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ChatCompletionRequest> Parse(const std::string& body) {
  return ParseChatCompletionRequest(body);
}

void ExpectRejected(const std::string& body, const std::string& field) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(body);
  ASSERT_FALSE(parsed.ok()) << body;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("'" + field + "'")) << body;
}

TEST(OpenAIRequestTest, MapsEveryGenerationParameter) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(R"({
    "model": "default",
    "messages": [{"role": "developer", "content": "be brief"},
                 {"role": "user", "content": [{"type": "text", "text": "hi "},
                                              {"type": "text", "text": "there"}]},
                 {"role": "assistant", "content": "hello"},
                 {"role": "user", "content": "again", "name": "sam"}],
    "temperature": 0.5, "top_p": 0.9, "max_completion_tokens": 64, "stop": ["\n\n", "END"],
    "seed": 42, "logprobs": true, "top_logprobs": 3,
    "response_format": {"type": "json_schema",
                        "json_schema": {"name": "x", "schema": {"type": "object"}}},
    "user": "u-1", "n": 1, "logit_bias": {}, "presence_penalty": 0, "store": false,
    "cascade": {"route_hint": "code", "start_tier": "small", "max_tier": "large",
                "threshold": -1.5, "budget_usd": 0.002, "tenant": "acme"}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->model, "default");
  EXPECT_FALSE(parsed->stream);
  const v1::CascadeRequest& request = parsed->cascade;
  EXPECT_EQ(request.policy(), "default");
  ASSERT_EQ(request.messages_size(), 4);
  EXPECT_EQ(request.messages(0).role(), "system");
  EXPECT_EQ(request.messages(1).content(), "hi there");
  EXPECT_EQ(request.messages(2).role(), "assistant");
  const v1::GenerationParams& params = request.params();
  EXPECT_FLOAT_EQ(params.temperature(), 0.5f);
  EXPECT_FLOAT_EQ(params.top_p(), 0.9f);
  EXPECT_EQ(params.max_tokens(), 64);
  ASSERT_EQ(params.stop_size(), 2);
  EXPECT_EQ(params.stop(1), "END");
  EXPECT_EQ(params.seed(), 42u);
  EXPECT_TRUE(params.logprobs());
  EXPECT_EQ(params.top_logprobs(), 3);
  EXPECT_EQ(params.response_format().type(), v1::ResponseFormat::JSON_SCHEMA);
  EXPECT_EQ(params.response_format().json_schema(), R"({"type":"object"})");
  EXPECT_EQ(request.route_hint(), "code");
  EXPECT_EQ(request.start_tier(), "small");
  EXPECT_EQ(request.max_tier(), "large");
  EXPECT_DOUBLE_EQ(request.threshold_override(), -1.5);
  EXPECT_EQ(request.budget_pusd(), 2'000'000'000);  // $0.002 in pico-USD, exact.
  EXPECT_EQ(request.tenant(), "acme");
}

TEST(OpenAIRequestTest, StreamingWithUsageAndStopString) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(
      R"({"model": "p", "messages": [{"role": "user", "content": "x"}], "stop": "###",
          "max_tokens": 8, "stream": true, "stream_options": {"include_usage": true},
          "response_format": {"type": "json_object"}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->stream);
  EXPECT_TRUE(parsed->include_usage);
  EXPECT_EQ(parsed->cascade.params().stop(0), "###");
  EXPECT_EQ(parsed->cascade.params().max_tokens(), 8);
  EXPECT_EQ(parsed->cascade.params().response_format().type(), v1::ResponseFormat::JSON_OBJECT);
}

TEST(OpenAIRequestTest, NullFieldsAreAbsent) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(
      R"({"model": "p", "messages": [{"role": "user", "content": "x"}], "tools": null,
          "temperature": null, "seed": null, "stream": null})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->cascade.params().has_seed());
}

TEST(OpenAIRequestTest, RefusesWhatItCannotHonourNamingTheField) {
  const std::string messages = R"("messages": [{"role": "user", "content": "x"}])";
  auto with = [&](const std::string& field) {
    return R"({"model": "p", )" + messages + ", " + field + "}";
  };
  ExpectRejected(with(R"("tools": [{"type": "function"}])"), "tools");
  ExpectRejected(with(R"("tool_choice": "auto")"), "tool_choice");
  ExpectRejected(with(R"("functions": [])"), "functions");
  ExpectRejected(with(R"("n": 2)"), "n");
  ExpectRejected(with(R"("logit_bias": {"50256": -100})"), "logit_bias");
  ExpectRejected(with(R"("audio": {"voice": "alloy"})"), "audio");
  ExpectRejected(with(R"("modalities": ["text", "audio"])"), "modalities");
  ExpectRejected(with(R"("frequency_penalty": 0.5)"), "frequency_penalty");
  ExpectRejected(with(R"("made_up": 1)"), "made_up");
  ExpectRejected(with(R"("temperature": 3)"), "temperature");
  ExpectRejected(with(R"("top_p": "high")"), "top_p");
  ExpectRejected(with(R"("max_tokens": 0)"), "max_tokens");
  ExpectRejected(with(R"("max_tokens": 5, "max_completion_tokens": 6)"), "max_completion_tokens");
  ExpectRejected(with(R"("stop": ["a", "b", "c", "d", "e"])"), "stop");
  ExpectRejected(with(R"("top_logprobs": 2)"), "top_logprobs");
  ExpectRejected(with(R"("logprobs": true, "top_logprobs": 21)"), "top_logprobs");
  ExpectRejected(with(R"("response_format": {"type": "yaml"})"), "response_format.type");
  ExpectRejected(with(R"("response_format": {"type": "json_schema", "json_schema": {}})"),
                 "response_format.json_schema.schema");
  ExpectRejected(with(R"("stream_options": {"include_usage": true})"), "stream_options");
  ExpectRejected(with(R"("cascade": {"budget": 1})"), "cascade.budget");
  ExpectRejected(with(R"("cascade": {"budget_usd": -1})"), "cascade.budget_usd");
  ExpectRejected(R"({"messages": [{"role": "user", "content": "x"}]})", "model");
  ExpectRejected(R"({"model": "p"})", "messages");
  ExpectRejected(R"({"model": "p", "messages": []})", "messages");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "tool", "content": "x"}]})",
                 "messages[0].role");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "user"}]})", "messages[0].content");
  ExpectRejected(
      R"({"model": "p", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
      "messages[0].content[0].type");
  ExpectRejected(
      R"({"model": "p", "messages": [{"role": "assistant", "content": "x",
                                      "tool_calls": [{"id": "1"}]}]})",
      "messages[0].tool_calls");
}

TEST(OpenAIRequestTest, BadJsonSaysSo) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse("{\"model\": ");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("not valid JSON"));
  EXPECT_EQ(Parse("[1, 2]").status().code(), absl::StatusCode::kInvalidArgument);
}

// Found by fuzzing: a json_schema nested ~100k deep crashed the front door (dump() recurses).
TEST(OpenAIRequestTest, ABodyNestedTooDeepIsRefusedBeforeParsing) {
  std::string nested;
  for (int i = 0; i < 100000; ++i) nested += "{\"a\":";
  nested += "1" + std::string(100000, '}');
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(
      R"({"model": "p", "messages": [{"role": "user", "content": "x"}],
          "response_format": {"type": "json_schema", "json_schema": {"schema": )" +
      nested + "}}}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("at most 64 are accepted"));
}

}  // namespace
}  // namespace cascade::orchestrator
