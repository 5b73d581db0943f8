#include "services/tier_worker/openai_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "services/tier_worker/testing/fake_openai_server.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteRequest;
using nlohmann::json;
using ::testing::HasSubstr;

CompleteRequest Request() {
  CompleteRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("hi");
  return request;
}

TEST(BuildChatCompletionBodyTest, MapsParamsAndAsksForLogprobsAndUsage) {
  CompleteRequest request = Request();
  auto* params = request.mutable_params();
  params->set_max_tokens(32);
  params->set_temperature(0.25f);
  params->set_top_p(0.5f);
  params->set_seed(7);
  params->add_stop("\n\n");
  params->set_logprobs(true);
  params->set_top_logprobs(3);
  params->mutable_response_format()->set_type(cascade::v1::ResponseFormat::JSON_OBJECT);
  auto body = BuildChatCompletionBody(request, {"m", true, true});
  ASSERT_TRUE(body.ok());
  json parsed = json::parse(*body);
  EXPECT_EQ(parsed["model"], "m");
  EXPECT_EQ(parsed["messages"], json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(parsed["stream"], true);
  EXPECT_EQ(parsed["stream_options"]["include_usage"], true);
  EXPECT_EQ(parsed["max_tokens"], 32);
  EXPECT_DOUBLE_EQ(parsed["temperature"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(parsed["top_p"].get<double>(), 0.5);
  EXPECT_EQ(parsed["seed"], 7);
  EXPECT_EQ(parsed["stop"], json::parse(R"(["\n\n"])"));
  EXPECT_EQ(parsed["logprobs"], true);
  EXPECT_EQ(parsed["top_logprobs"], 3);
  EXPECT_EQ(parsed["response_format"]["type"], "json_object");
  EXPECT_FALSE(parsed.contains("top_k"));
}

TEST(BuildChatCompletionBodyTest, NoLogprobsForAnUpstreamWithoutThemAndNoStreamFields) {
  CompleteRequest request = Request();
  request.mutable_params()->set_logprobs(true);
  json parsed = json::parse(*BuildChatCompletionBody(request, {"m", false, false}));
  EXPECT_FALSE(parsed.contains("logprobs"));
  EXPECT_FALSE(parsed.contains("stream"));
  EXPECT_FALSE(parsed.contains("stream_options"));
  EXPECT_FALSE(parsed.contains("max_tokens"));
}

TEST(BuildChatCompletionBodyTest, ImagePartsGoUpstreamInOrderInOpenAIShape) {
  CompleteRequest request = Request();
  auto* message = request.mutable_messages(0);
  message->set_content("what is this?");
  message->add_parts()->set_text("what is this?");
  auto* image = message->add_parts();
  image->set_image_url("data:image/png;base64,iVBORw0KGgo=");
  image->set_image_detail("low");
  json parsed = json::parse(*BuildChatCompletionBody(request, {"m", true, false}));
  EXPECT_EQ(parsed["messages"], json::parse(R"([{"role": "user", "content": [
      {"type": "text", "text": "what is this?"},
      {"type": "image_url",
       "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}]}])"));
}

TEST(BuildChatCompletionBodyTest, JsonSchemaMustBeJson) {
  CompleteRequest request = Request();
  auto* format = request.mutable_params()->mutable_response_format();
  format->set_type(cascade::v1::ResponseFormat::JSON_SCHEMA);
  format->set_json_schema(R"({"type":"object"})");
  json parsed = json::parse(*BuildChatCompletionBody(request, {"m", false, true}));
  EXPECT_EQ(parsed["response_format"]["json_schema"]["schema"]["type"], "object");
  format->set_json_schema("{not json");
  EXPECT_EQ(BuildChatCompletionBody(request, {"m", false, true}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseChatCompletionTest, TextFinishUsageModelAndLogprobs) {
  auto response = ParseChatCompletion(
      testing::ChatCompletionJson({"Hel", "lo"}, 11, 2, true, "gpt-x-2025").dump());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "Hello");
  EXPECT_EQ(response->finish_reason(), cascade::v1::FINISH_REASON_STOP);
  EXPECT_EQ(response->usage().prompt_tokens(), 11);
  EXPECT_EQ(response->usage().completion_tokens(), 2);
  EXPECT_EQ(response->upstream_model(), "gpt-x-2025");
  ASSERT_EQ(response->logprobs_size(), 2);
  EXPECT_EQ(response->logprobs(0).token(), "Hel");
  EXPECT_DOUBLE_EQ(response->logprobs(0).logprob(), -0.5);
  EXPECT_EQ(response->logprobs(0).token_id(), -1);
  ASSERT_EQ(response->logprobs(1).top_size(), 2);
  EXPECT_EQ(response->logprobs(1).top(1).token(), "alt");
  EXPECT_DOUBLE_EQ(response->logprobs(1).top(1).logprob(), -2.0);
}

TEST(ParseChatCompletionTest, WithoutLogprobsAndWithNullContent) {
  auto response = ParseChatCompletion(
      R"({"model":"m","choices":[{"message":{"role":"assistant","content":null},
          "finish_reason":"length","logprobs":null}],"usage":{"prompt_tokens":3,
          "completion_tokens":0}})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "");
  EXPECT_EQ(response->finish_reason(), cascade::v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(response->logprobs_size(), 0);
}

TEST(ParseChatCompletionTest, MalformedIsInternalSayingWhy) {
  for (const char* body :
       {"{\"choices\": [", "[]", "{}", R"({"choices":[]})", R"({"choices":[{"text":"legacy"}]})"}) {
    auto response = ParseChatCompletion(body);
    ASSERT_EQ(response.status().code(), absl::StatusCode::kInternal) << body;
    EXPECT_THAT(response.status().message(), HasSubstr("not a valid chat completion")) << body;
  }
}

TEST(NormalizedLogprobsTest, LegacyShapeTokenIdsAndNullLogprobs) {
  google::protobuf::RepeatedPtrField<cascade::v1::TokenLogprob> out;
  AppendNormalizedLogprobs(json::parse(R"({"tokens":["a","b"],"token_logprobs":[-0.1,null],
      "top_logprobs":[{"a":-0.1,"c":-3.0},null]})"),
                           &out);
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].token(), "a");
  EXPECT_DOUBLE_EQ(out[0].logprob(), -0.1);
  EXPECT_EQ(out[0].top_size(), 2);
  EXPECT_TRUE(std::isinf(out[1].logprob()));
  out.Clear();
  AppendNormalizedLogprobs(
      json::parse(R"({"content":[{"id":42,"token":"x","logprob":-1,"top_logprobs":[]}]})"), &out);
  ASSERT_EQ(out.size(), 1);
  EXPECT_EQ(out[0].token_id(), 42);
  out.Clear();
  AppendNormalizedLogprobs(json(), &out);
  AppendNormalizedLogprobs(json::parse(R"({"content":null})"), &out);
  EXPECT_EQ(out.size(), 0);
}

// Found by the openai_protocol fuzzer: token ids past int32 were cast (wrapping to another
// token, or negative); they are now "no id".
TEST(NormalizedLogprobsTest, TokenIdsOutsideInt32AreNoId) {
  google::protobuf::RepeatedPtrField<cascade::v1::TokenLogprob> out;
  AppendNormalizedLogprobs(json::parse(R"({"content":[
      {"id":2147483647,"token":"a","logprob":-1},
      {"id":2147483648,"token":"b","logprob":-1},
      {"id":18446744073709551615,"token":"c","logprob":-1},
      {"id":-5,"token":"d","logprob":-1},
      {"id":4294967338,"token":"e","logprob":-1,
       "top_logprobs":[{"id":9223372036854775807,"token":"f","logprob":-2}]}]})"),
                           &out);
  ASSERT_EQ(out.size(), 5);
  EXPECT_EQ(out[0].token_id(), 2147483647);
  EXPECT_EQ(out[1].token_id(), -1);
  EXPECT_EQ(out[2].token_id(), -1);
  EXPECT_EQ(out[3].token_id(), -1);
  EXPECT_EQ(out[4].token_id(), -1);  // 2^32 + 42 once wrapped to 42
  ASSERT_EQ(out[4].top_size(), 1);
  EXPECT_EQ(out[4].top(0).token_id(), -1);
}

// Found by the openai_protocol fuzzer: a usage field of the wrong type threw out of the
// parser (nlohmann::json::type_error), and one too large for int64 was cast with undefined
// behaviour (1e30) or wrapped negative (2^64 - 1). Such a count is taken as not reported.
TEST(ParseChatCompletionTest, UsageOfTheWrongTypeOrOverflowingIsZero) {
  const std::string prefix = R"({"choices":[{"message":{"content":"x"}}],"usage":)";
  for (const char* usage : {R"({"prompt_tokens":"11","completion_tokens":[2]})",
                            R"({"prompt_tokens":1e30,"completion_tokens":2.5})",
                            R"({"prompt_tokens":18446744073709551615,"completion_tokens":-3})",
                            R"({"prompt_tokens":null,"completion_tokens":{"n":1}})"}) {
    auto response = ParseChatCompletion(prefix + usage + "}");
    ASSERT_TRUE(response.ok()) << usage << ": " << response.status();
    EXPECT_EQ(response->usage().prompt_tokens(), 0) << usage;
    EXPECT_EQ(response->usage().completion_tokens(), 0) << usage;
  }
  auto big = ParseChatCompletion(prefix +
                                 R"({"prompt_tokens":9223372036854775807,"completion_tokens":7}})");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->usage().prompt_tokens(), 9223372036854775807);
  EXPECT_EQ(big->usage().completion_tokens(), 7);

  ChatStreamAssembler assembler;
  ASSERT_TRUE(assembler.AddEvent(R"({"choices":[],"usage":{"prompt_tokens":"5"}})").ok());
  EXPECT_TRUE(assembler.saw_usage());
  EXPECT_EQ(assembler.response().usage().prompt_tokens(), 0);
}

// Found by the openai_protocol fuzzer: an upstream error object nested 100000 deep was
// dumped into the status recursively and overflowed the stack. Answers (and schemas) are
// measured before parsing; 64 levels are accepted.
TEST(ParseChatCompletionTest, DeeplyNestedJsonIsRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ChatStreamAssembler assembler;
  auto error = assembler.AddEvent(R"({"error":)" + deep + "}");
  EXPECT_EQ(error.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(error.status().message(), HasSubstr("nests 100001 levels deep"));
  auto whole = ParseChatCompletion(R"({"choices":[{"message":{"content":"x"}}],"x":)" + deep + "}");
  EXPECT_EQ(whole.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(whole.status().message(), HasSubstr("at most 64"));

  const std::string ok = std::string(63, '[') + std::string(63, ']');
  EXPECT_TRUE(
      ParseChatCompletion(R"({"choices":[{"message":{"content":"x"}}],"x":)" + ok + "}").ok());

  CompleteRequest request = Request();
  request.mutable_params()->mutable_response_format()->set_type(
      cascade::v1::ResponseFormat::JSON_SCHEMA);
  request.mutable_params()->mutable_response_format()->set_json_schema(R"({"a":)" + deep + "}");
  EXPECT_EQ(BuildChatCompletionBody(request, ChatRequestOptions{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChatStreamAssemblerTest, AssemblesDeltasUsageAndDone) {
  ChatStreamAssembler assembler;
  std::string text;
  int with_logprobs = 0;
  for (const auto& event : testing::ChatCompletionChunks({"a", "b", "c"}, 5, 3, true, true)) {
    auto delta = assembler.AddEvent(event);
    ASSERT_TRUE(delta.ok()) << delta.status();
    text += delta->text();
    with_logprobs += delta->logprobs_size();
  }
  EXPECT_FALSE(assembler.saw_done());
  ASSERT_TRUE(assembler.AddEvent("[DONE]").ok());
  EXPECT_TRUE(assembler.saw_done());
  EXPECT_TRUE(assembler.saw_finish_reason());
  EXPECT_TRUE(assembler.saw_usage());
  EXPECT_EQ(text, "abc");
  EXPECT_EQ(with_logprobs, 3);
  EXPECT_EQ(assembler.content_chunks(), 3);
  EXPECT_EQ(assembler.response().text(), "abc");
  EXPECT_EQ(assembler.response().logprobs_size(), 3);
  EXPECT_EQ(assembler.response().usage().prompt_tokens(), 5);
  EXPECT_EQ(assembler.response().finish_reason(), cascade::v1::FINISH_REASON_STOP);
}

TEST(ChatStreamAssemblerTest, GarbageAndInStreamErrors) {
  ChatStreamAssembler assembler;
  EXPECT_EQ(assembler.AddEvent("{oops").status().code(), absl::StatusCode::kInternal);
  auto error = assembler.AddEvent(R"({"error":{"message":"overloaded"}})");
  EXPECT_EQ(error.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(error.status().message(), HasSubstr("overloaded"));
}

}  // namespace
}  // namespace cascade::tier_worker

namespace cascade::tier_worker {
namespace {

CompleteRequest ToolConversation() {
  CompleteRequest request;
  auto* user = request.add_messages();
  user->set_role("user");
  user->set_content("weather in Oslo?");
  auto* assistant = request.add_messages();
  assistant->set_role("assistant");
  auto* call = assistant->add_tool_calls();
  call->set_id("call_1");
  call->set_name("get_weather");
  call->set_arguments(R"({"location":"Oslo"})");
  auto* result = request.add_messages();
  result->set_role("tool");
  result->set_tool_call_id("call_1");
  result->set_content("18 C");
  auto* tool = request.mutable_params()->add_tools();
  tool->set_name("get_weather");
  tool->set_description("Weather");
  tool->set_parameters_json(R"({"type":"object"})");
  return request;
}

TEST(BuildChatCompletionBodyTest, ToolsToolCallsAndToolResultsInOpenAIsShape) {
  CompleteRequest request = ToolConversation();
  request.mutable_params()->set_tool_choice("get_weather");
  request.mutable_params()->set_parallel_tool_calls(false);
  json parsed = json::parse(*BuildChatCompletionBody(request, {"m", false, true}));
  EXPECT_EQ(parsed["messages"][1], json::parse(R"({"role": "assistant", "content": null,
      "tool_calls": [{"id": "call_1", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\"location\":\"Oslo\"}"}}]})"));
  EXPECT_EQ(parsed["messages"][2],
            json::parse(R"({"role": "tool", "tool_call_id": "call_1", "content": "18 C"})"));
  EXPECT_EQ(parsed["tools"], json::parse(R"([{"type": "function", "function": {
      "name": "get_weather", "description": "Weather", "parameters": {"type": "object"}}}])"));
  EXPECT_EQ(parsed["tool_choice"],
            json::parse(R"({"type": "function", "function": {"name": "get_weather"}})"));
  EXPECT_EQ(parsed["parallel_tool_calls"], false);
  request.mutable_params()->set_tool_choice("required");
  request.mutable_params()->clear_parallel_tool_calls();
  parsed = json::parse(*BuildChatCompletionBody(request, {"m", false, true}));
  EXPECT_EQ(parsed["tool_choice"], "required");
  EXPECT_FALSE(parsed.contains("parallel_tool_calls"));
  // No tools, no keys.
  parsed = json::parse(*BuildChatCompletionBody(Request(), {"m", false, true}));
  EXPECT_FALSE(parsed.contains("tools"));
  EXPECT_FALSE(parsed.contains("tool_choice"));
}

TEST(BuildChatCompletionBodyTest, AReasoningModelGetsMaxCompletionTokensAndEffortOnly) {
  CompleteRequest request = Request();
  request.mutable_params()->set_max_tokens(256);
  request.mutable_params()->set_temperature(0.7f);
  request.mutable_params()->set_top_p(0.9f);
  request.mutable_params()->set_reasoning_effort("low");
  json reasoning = json::parse(*BuildChatCompletionBody(request, {"o", false, true, true}));
  EXPECT_EQ(reasoning["max_completion_tokens"], 256);
  EXPECT_EQ(reasoning["reasoning_effort"], "low");
  EXPECT_FALSE(reasoning.contains("max_tokens"));
  EXPECT_FALSE(reasoning.contains("temperature"));
  EXPECT_FALSE(reasoning.contains("top_p"));
  // A chat model is not sent an effort it would refuse.
  json chat = json::parse(*BuildChatCompletionBody(request, {"m", false, true, false}));
  EXPECT_EQ(chat["max_tokens"], 256);
  EXPECT_FALSE(chat.contains("reasoning_effort"));
}

TEST(ParseChatCompletionTest, ToolCallsFinishReasonAndReasoningTokens) {
  auto response = ParseChatCompletion(R"({"model": "o4", "choices": [{"index": 0,
      "message": {"role": "assistant", "content": null,
                  "tool_calls": [{"id": "call_9", "type": "function",
                                  "function": {"name": "get_weather",
                                               "arguments": "{\"location\":\"Oslo\"}"}}]},
      "finish_reason": "tool_calls"}],
      "usage": {"prompt_tokens": 20, "completion_tokens": 50,
                "completion_tokens_details": {"reasoning_tokens": 38}}})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "");
  EXPECT_EQ(response->finish_reason(), cascade::v1::FINISH_REASON_TOOL_CALLS);
  ASSERT_EQ(response->tool_calls_size(), 1);
  EXPECT_EQ(response->tool_calls(0).id(), "call_9");
  EXPECT_EQ(response->tool_calls(0).name(), "get_weather");
  EXPECT_EQ(response->tool_calls(0).arguments(), R"({"location":"Oslo"})");
  EXPECT_EQ(response->usage().completion_tokens(), 50);
  EXPECT_EQ(response->usage().reasoning_tokens(), 38);
}

TEST(ChatStreamAssemblerTest, ToolCallDeltasAssembleByIndex) {
  ChatStreamAssembler assembler;
  for (const char* event :
       {R"({"choices": [{"index": 0, "delta": {"role": "assistant", "content": null}}]})",
        R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "a",
               "type": "function", "function": {"name": "f", "arguments": ""}}]}}]})",
        R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
               "function": {"arguments": "{\"x\":"}}]}}]})",
        R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 1, "id": "b",
               "function": {"name": "g", "arguments": "{}"}}]}}]})",
        R"({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
               "function": {"arguments": "1}"}}]}}]})",
        R"({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})", "[DONE]"}) {
    ASSERT_TRUE(assembler.AddEvent(event).ok()) << event;
  }
  const auto& response = assembler.response();
  ASSERT_EQ(response.tool_calls_size(), 2);
  EXPECT_EQ(response.tool_calls(0).id(), "a");
  EXPECT_EQ(response.tool_calls(0).name(), "f");
  EXPECT_EQ(response.tool_calls(0).arguments(), R"({"x":1})");
  EXPECT_EQ(response.tool_calls(1).name(), "g");
  EXPECT_EQ(response.finish_reason(), cascade::v1::FINISH_REASON_TOOL_CALLS);
  // An index past any sane number of calls is refused, not allocated.
  ChatStreamAssembler bad;
  EXPECT_EQ(bad.AddEvent(R"({"choices": [{"delta": {"tool_calls": [{"index": 100000000}]}}]})")
                .status()
                .code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(
      bad.AddEvent(R"({"choices": [{"delta": {"tool_calls": {"index": 0}}}]})").status().code(),
      absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace cascade::tier_worker
