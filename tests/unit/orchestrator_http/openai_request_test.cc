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
  ExpectRejected(with(R"("tools": [{"type": "function"}])"), "tools[0].function");
  ExpectRejected(with(R"("tools": {"type": "function"})"), "tools");
  ExpectRejected(with(R"("tools": [{"type": "function", "function": {"name": "f",
                                     "parameters": []}}])"),
                 "tools[0].function.parameters");
  ExpectRejected(with(R"("tools": [{"type": "function", "function": {"name": "f", "x": 1}}])"),
                 "tools[0].function.x");
  ExpectRejected(with(R"("tool_choice": {"type": "function"})"), "tool_choice");
  ExpectRejected(with(R"("parallel_tool_calls": "yes")"), "parallel_tool_calls");
  ExpectRejected(with(R"("reasoning_effort": 3)"), "reasoning_effort");
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
                 "messages[0].tool_call_id");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "function", "content": "x"}]})",
                 "messages[0].role");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "user", "content": "x",
                                                 "tool_calls": [{"id": "1"}]}]})",
                 "messages[0].tool_calls");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "user", "content": "x",
                                                 "tool_call_id": "1"}]})",
                 "messages[0].tool_call_id");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "user"}]})", "messages[0].content");
  ExpectRejected(
      R"({"model": "p", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]})",
      "messages[0].content[0].type");
  ExpectRejected(
      R"({"model": "p", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
      "messages[0].content[0].image_url");
  ExpectRejected(R"({"model": "p", "messages": [{"role": "user", "content": [
                      {"type": "image_url", "image_url": {"url": 7}}]}]})",
                 "messages[0].content[0].image_url.url");
  ExpectRejected(
      R"({"model": "p", "messages": [{"role": "assistant", "content": "x",
                                      "tool_calls": [{"id": "1"}]}]})",
      "messages[0].tool_calls[0].function");
  // The contract's own checks, with OpenAI's field names.
  for (const auto& [field, says] : std::vector<std::pair<std::string, std::string>>{
           {R"("tool_choice": "auto")", "tool_choice is set but tools is empty"},
           {R"("reasoning_effort": "max")", "reasoning_effort must be"},
           {R"("tools": [{"type": "function", "function": {"name": "a b"}}])",
            "tools[0].name 'a b' must be"}}) {
    absl::StatusOr<ChatCompletionRequest> parsed = Parse(with(field));
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(parsed.status().message(), HasSubstr(says)) << field;
    EXPECT_THAT(parsed.status().message(), ::testing::Not(HasSubstr("params."))) << field;
  }
}

TEST(OpenAIRequestTest, ImagePartsKeepTheirOrderAndTheTextStaysReadable) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(R"({
    "model": "p",
    "messages": [{"role": "user", "content": [
      {"type": "text", "text": "What is in "},
      {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
      {"type": "text", "text": "this picture?"}]}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const v1::ChatMessage& message = parsed->cascade.messages(0);
  EXPECT_EQ(message.content(), "What is in this picture?");
  ASSERT_EQ(message.parts_size(), 3);
  EXPECT_EQ(message.parts(0).text(), "What is in ");
  EXPECT_EQ(message.parts(1).image_url(), "https://example.com/cat.png");
  EXPECT_EQ(message.parts(1).image_detail(), "low");
  EXPECT_EQ(message.parts(2).text(), "this picture?");

  // Text parts alone stay plain content.
  auto text_only = Parse(R"({"model": "p", "messages": [{"role": "user", "content": [
                              {"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]})");
  ASSERT_TRUE(text_only.ok());
  EXPECT_EQ(text_only->cascade.messages(0).content(), "ab");
  EXPECT_EQ(text_only->cascade.messages(0).parts_size(), 0);
}

TEST(OpenAIRequestTest, MapsToolsToolChoiceAndAToolConversation) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(R"({
    "model": "p",
    "messages": [{"role": "user", "content": "weather in Oslo?"},
                 {"role": "assistant", "content": null, "refusal": null,
                  "tool_calls": [{"id": "call_1", "type": "function",
                                  "function": {"name": "get_weather",
                                               "arguments": "{\"location\":\"Oslo\"}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "18 C"}],
    "tools": [{"type": "function",
               "function": {"name": "get_weather", "description": "Weather", "strict": true,
                            "parameters": {"type": "object", "required": ["location"]}}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": false, "reasoning_effort": "low"})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const v1::CascadeRequest& request = parsed->cascade;
  ASSERT_EQ(request.messages_size(), 3);
  EXPECT_EQ(request.messages(1).content(), "");
  ASSERT_EQ(request.messages(1).tool_calls_size(), 1);
  EXPECT_EQ(request.messages(1).tool_calls(0).id(), "call_1");
  EXPECT_EQ(request.messages(1).tool_calls(0).name(), "get_weather");
  EXPECT_EQ(request.messages(1).tool_calls(0).arguments(), R"({"location":"Oslo"})");
  EXPECT_EQ(request.messages(2).role(), "tool");
  EXPECT_EQ(request.messages(2).tool_call_id(), "call_1");
  EXPECT_EQ(request.messages(2).content(), "18 C");
  const v1::GenerationParams& params = request.params();
  ASSERT_EQ(params.tools_size(), 1);
  EXPECT_EQ(params.tools(0).name(), "get_weather");
  EXPECT_EQ(params.tools(0).description(), "Weather");
  EXPECT_EQ(params.tools(0).parameters_json(), R"({"required":["location"],"type":"object"})");
  EXPECT_EQ(params.tool_choice(), "get_weather");
  ASSERT_TRUE(params.has_parallel_tool_calls());
  EXPECT_FALSE(params.parallel_tool_calls());
  EXPECT_EQ(params.reasoning_effort(), "low");
  // An empty tools list is no tools (LangChain sends one).
  auto empty = Parse(R"({"model": "p", "messages": [{"role": "user", "content": "x"}],
                         "tools": []})");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->cascade.params().tools_size(), 0);
}

TEST(OpenAIRequestTest, NewerFieldsThatDoNotChangeTheAnswerAreAcceptedAndIgnored) {
  absl::StatusOr<ChatCompletionRequest> parsed = Parse(
      R"({"model": "p", "messages": [{"role": "user", "content": "x"}],
          "prompt_cache_key": "k", "safety_identifier": "s", "verbosity": "low",
          "store": true, "service_tier": "auto", "metadata": {"a": "b"}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
}

TEST(OpenAIRequestTest, AnOmittedTemperatureIsMarkedForThePolicysDefault) {
  auto omitted = Parse(R"({"model": "p", "messages": [{"role": "user", "content": "x"}]})");
  ASSERT_TRUE(omitted.ok());
  EXPECT_TRUE(omitted->temperature_unset);
  auto zero = Parse(R"({"model": "p", "messages": [{"role": "user", "content": "x"}],
                        "temperature": 0})");
  ASSERT_TRUE(zero.ok());
  EXPECT_FALSE(zero->temperature_unset);
  EXPECT_FLOAT_EQ(zero->cascade.params().temperature(), 0.0f);
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
