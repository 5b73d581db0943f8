// CascadeResponse -> OpenAI chat completion objects, with the trace; status -> HTTP error.

#include "services/orchestrator/front_door/openai_response.h"

#include <gtest/gtest.h>

#include <limits>

namespace cascade::orchestrator {
namespace {

v1::CascadeResponse TwoStepResponse() {
  v1::CascadeResponse response;
  response.set_answer("Paris.");
  response.set_final_tier("large");
  response.set_model("gpt-big");
  response.set_route("geo");
  response.set_finish_reason(v1::FINISH_REASON_LENGTH);
  response.mutable_usage()->set_prompt_tokens(10);
  response.mutable_usage()->set_completion_tokens(3);
  v1::CascadeStep* small = response.add_steps();
  small->set_tier("small");
  small->set_confidence(-2.5);
  small->set_method("logprob:p10");
  small->set_cost_pusd(3'900'000);
  small->mutable_signals()->set_completion_tokens(3);
  small->mutable_signals()->set_logprob_mean(-0.4);
  small->mutable_signals()->set_logprob_min(-1.2);
  small->mutable_signals()->set_logprob_p10(-1.0);
  small->mutable_signals()->set_logprob_p25(-0.8);
  small->mutable_signals()->set_logprob_mean_len(-0.7);
  (*small->mutable_signals()->mutable_judge_scores())["llm"] = 0.25;
  v1::CascadeStep* large = response.add_steps();
  large->set_tier("large");
  large->set_accepted(true);
  large->set_method("none");
  large->set_cost_pusd(130'000'000);
  large->set_error("");
  response.set_cost_pusd(133'900'000);
  response.set_baseline_cost_pusd(130'000'000);
  response.set_savings_pusd(-3'900'000);
  response.set_stopped_reason("max_tier");
  return response;
}

const CompletionIdentity kIdentity{"chatcmpl-abc", 1700000000, "default"};

TEST(OpenAIResponseTest, WholeCompletionCarriesAnswerUsageAndTrace) {
  nlohmann::json body = ChatCompletionJson(kIdentity, TwoStepResponse());
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["id"], "chatcmpl-abc");
  EXPECT_EQ(body["model"], "default");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Paris.");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], 13);
  const nlohmann::json& trace = body["cascade"];
  EXPECT_EQ(trace["final_tier"], "large");
  EXPECT_EQ(trace["route"], "geo");
  EXPECT_EQ(trace["cost_pusd"], 133'900'000);
  EXPECT_EQ(trace["savings_pusd"], -3'900'000);
  EXPECT_DOUBLE_EQ(trace["cost_usd"].get<double>(), 0.0001339);
  EXPECT_EQ(trace["stopped_reason"], "max_tier");
  ASSERT_EQ(trace["steps"].size(), 2u);
  EXPECT_EQ(trace["steps"][0]["tier"], "small");
  EXPECT_EQ(trace["steps"][0]["accepted"], false);
  EXPECT_EQ(trace["steps"][0]["method"], "logprob:p10");
  EXPECT_FALSE(trace["steps"][1].contains("error"));
  // Every signal of the step's answer, not only the one its rule used.
  const nlohmann::json& signals = trace["steps"][0]["signals"];
  EXPECT_EQ(signals["completion_tokens"], 3);
  EXPECT_DOUBLE_EQ(signals["logprob"]["mean"].get<double>(), -0.4);
  EXPECT_DOUBLE_EQ(signals["logprob"]["min"].get<double>(), -1.2);
  EXPECT_DOUBLE_EQ(signals["logprob"]["p10"].get<double>(), -1.0);
  EXPECT_DOUBLE_EQ(signals["logprob"]["p25"].get<double>(), -0.8);
  EXPECT_DOUBLE_EQ(signals["logprob"]["mean_len"].get<double>(), -0.7);
  EXPECT_DOUBLE_EQ(signals["judge"]["llm"].get<double>(), 0.25);
  // A step without logprobs claims no aggregate.
  EXPECT_FALSE(trace["steps"][1].contains("signals"));
  EXPECT_FALSE(trace.contains("cache"));
}

TEST(OpenAIResponseTest, ACachedAnswerSaysWhereItCameFrom) {
  v1::CascadeResponse response = TwoStepResponse();
  response.clear_steps();
  response.set_cost_pusd(0);
  response.mutable_cache()->set_kind("semantic");
  response.mutable_cache()->set_similarity(0.97);
  response.mutable_cache()->set_original_cost_pusd(133'900'000);
  response.mutable_cache()->set_age_seconds(12.5);
  const nlohmann::json trace = ChatCompletionJson(kIdentity, response)["cascade"];
  EXPECT_EQ(trace["cache"]["kind"], "semantic");
  EXPECT_DOUBLE_EQ(trace["cache"]["similarity"].get<double>(), 0.97);
  EXPECT_EQ(trace["cache"]["original_cost_pusd"], 133'900'000);
  EXPECT_DOUBLE_EQ(trace["cache"]["age_seconds"].get<double>(), 12.5);
  EXPECT_EQ(trace["cost_pusd"], 0);
  EXPECT_TRUE(trace["steps"].empty());
}

TEST(OpenAIResponseTest, StreamChunks) {
  nlohmann::json role = RoleChunkJson(kIdentity, /*include_usage=*/true);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(role["usage"].is_null());
  nlohmann::json text = TextChunkJson(kIdentity, "Par", nullptr, /*include_usage=*/false);
  EXPECT_EQ(text["choices"][0]["delta"]["content"], "Par");
  EXPECT_TRUE(text["choices"][0]["logprobs"].is_null());
  EXPECT_FALSE(text.contains("usage"));
  nlohmann::json finish = FinishChunkJson(kIdentity, TwoStepResponse(), nullptr, false);
  EXPECT_TRUE(finish["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(finish["cascade"]["final_tier"], "large");
  nlohmann::json usage = UsageChunkJson(kIdentity, TwoStepResponse());
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 3);
  EXPECT_EQ(SseEvent({{"a", 1}}), "data: {\"a\":1}\n\n");
}

v1::CascadeResponse ToolCallResponse() {
  v1::CascadeResponse response = TwoStepResponse();
  response.set_answer("");
  response.set_finish_reason(v1::FINISH_REASON_TOOL_CALLS);
  v1::ToolCall* call = response.add_tool_calls();
  call->set_id("call_1");
  call->set_name("get_weather");
  call->set_arguments(R"({"location":"Oslo"})");
  response.mutable_steps(0)->set_skipped("tools: the tier's backend does not take tools");
  response.mutable_usage()->set_reasoning_tokens(2);
  return response;
}

TEST(OpenAIResponseTest, ToolCallsInOpenAIsShapeWholeAndStreamed) {
  nlohmann::json body = ChatCompletionJson(kIdentity, ToolCallResponse());
  const nlohmann::json& message = body["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null());
  ASSERT_EQ(message["tool_calls"].size(), 1u);
  EXPECT_EQ(message["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(message["tool_calls"][0]["type"], "function");
  EXPECT_EQ(message["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(message["tool_calls"][0]["function"]["arguments"], R"({"location":"Oslo"})");
  EXPECT_FALSE(message["tool_calls"][0].contains("index"));
  EXPECT_EQ(body["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(body["cascade"]["steps"][0]["skipped"],
            "tools: the tier's backend does not take tools");
  EXPECT_EQ(body["usage"]["completion_tokens_details"]["reasoning_tokens"], 2);
  // No tool calls, no key: clients test for its presence.
  EXPECT_FALSE(ChatCompletionJson(kIdentity, TwoStepResponse())["choices"][0]["message"].contains(
      "tool_calls"));

  nlohmann::json chunk = ToolCallsChunkJson(kIdentity, ToolCallResponse(), false);
  const nlohmann::json& delta = chunk["choices"][0]["delta"];
  EXPECT_EQ(delta["tool_calls"][0]["index"], 0);
  EXPECT_EQ(delta["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(
      FinishChunkJson(kIdentity, ToolCallResponse(), nullptr, false)["choices"][0]["finish_reason"],
      "tool_calls");
}

TEST(OpenAIResponseTest, LogprobsInOpenAIsShape) {
  v1::CascadeResponse response = TwoStepResponse();
  EXPECT_TRUE(ChatCompletionJson(kIdentity, response)["choices"][0]["logprobs"].is_null());
  v1::TokenLogprob* token = response.add_logprobs();
  token->set_token("Pa");
  token->set_logprob(-0.25);
  v1::TopLogprob* top = token->add_top();
  top->set_token("Pa");
  top->set_logprob(-0.25);
  top = token->add_top();
  top->set_token("Lo");
  top->set_logprob(-std::numeric_limits<double>::infinity());
  nlohmann::json logprobs = ChatCompletionJson(kIdentity, response)["choices"][0]["logprobs"];
  ASSERT_EQ(logprobs["content"].size(), 1u);
  EXPECT_EQ(logprobs["content"][0]["token"], "Pa");
  EXPECT_DOUBLE_EQ(logprobs["content"][0]["logprob"].get<double>(), -0.25);
  EXPECT_EQ(logprobs["content"][0]["bytes"], nlohmann::json::array({80, 97}));
  ASSERT_EQ(logprobs["content"][0]["top_logprobs"].size(), 2u);
  // JSON has no infinity: an impossible token gets OpenAI's floor.
  EXPECT_DOUBLE_EQ(logprobs["content"][0]["top_logprobs"][1]["logprob"].get<double>(), -9999.0);
  // Streamed, a delta's logprobs ride on its chunk (or those no delta carried on the last).
  EXPECT_EQ(TextChunkJson(kIdentity, "Pa", &response.logprobs(), false)["choices"][0]["logprobs"],
            logprobs);
  EXPECT_EQ(
      FinishChunkJson(kIdentity, response, &response.logprobs(), false)["choices"][0]["logprobs"],
      logprobs);
}

TEST(OpenAIResponseTest, StatusesMapToHttpErrors) {
  EXPECT_EQ(HttpErrorFromStatus(absl::InvalidArgumentError("x")).status, 400);
  EXPECT_EQ(HttpErrorFromStatus(absl::UnauthenticatedError("x")).status, 401);
  HttpError not_found = HttpErrorFromStatus(absl::NotFoundError("no policy"));
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(not_found.body["error"]["code"], "model_not_found");
  EXPECT_EQ(not_found.body["error"]["message"], "no policy");
  EXPECT_EQ(HttpErrorFromStatus(absl::ResourceExhaustedError("x")).status, 429);
  EXPECT_EQ(HttpErrorFromStatus(absl::UnavailableError("x")).status, 503);
  EXPECT_EQ(HttpErrorFromStatus(absl::DeadlineExceededError("x")).status, 504);
  EXPECT_EQ(HttpErrorFromStatus(absl::InternalError("x")).status, 500);
  EXPECT_EQ(HttpErrorFromStatus(absl::InternalError("x")).body["error"]["type"], "server_error");
}

}  // namespace
}  // namespace cascade::orchestrator
