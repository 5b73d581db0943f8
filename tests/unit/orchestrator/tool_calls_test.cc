// Requests with tools (or images) through the cascade, with doubles for the tiers: the tool
// call check (tool_call_check.h) escalates like a low confidence; tiers that take no tools
// (no images) are skipped, said in the trace; a request no tier can serve is
// INVALID_ARGUMENT. Also what
// else the OpenAI door relies on: logprobs returned only when asked, and the policy's
// default temperature for a request that sent none.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"
#include "services/orchestrator/lib/tool_call_check.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using testing::RecordingObserver;

constexpr char kSchema[] =
    R"({"type": "object", "properties": {"location": {"type": "string"}},
        "required": ["location"], "additionalProperties": false})";

v1::GenerationParams WeatherTool() {
  v1::GenerationParams params;
  v1::Tool* tool = params.add_tools();
  tool->set_name("get_weather");
  tool->set_parameters_json(kSchema);
  return params;
}

v1::CompleteResponse Calling(const std::string& tier,
                             std::vector<std::pair<std::string, std::string>> calls) {
  v1::CompleteResponse answer = Answer(tier, "", -0.1, 20, 8, 1, 1);
  answer.clear_logprobs();  // Upstreams give none for tool calls.
  answer.set_finish_reason(v1::FINISH_REASON_TOOL_CALLS);
  int id = 0;
  for (const auto& [name, arguments] : calls) {
    v1::ToolCall* call = answer.add_tool_calls();
    call->set_id("call_" + std::to_string(++id));
    call->set_name(name);
    call->set_arguments(arguments);
  }
  return answer;
}

TEST(ToolCallCheck, AcceptsCallsThatFitTheirDeclarations) {
  const v1::GenerationParams params = WeatherTool();
  EXPECT_EQ(ToolCallViolation(params, Calling("t", {{"get_weather", R"({"location": "Oslo"})"}})),
            std::nullopt);
  // Text instead of a call is fine while the model may choose.
  EXPECT_EQ(ToolCallViolation(params, Answer("t", "It is sunny", -0.1, 1, 1, 1, 1)), std::nullopt);
}

TEST(ToolCallCheck, NamesWhatIsWrong) {
  v1::GenerationParams params = WeatherTool();
  EXPECT_THAT(ToolCallViolation(params, Calling("t", {{"get_time", "{}"}})),
              ::testing::Optional(HasSubstr("tool_calls[0]: 'get_time' is not a declared tool")));
  EXPECT_THAT(ToolCallViolation(params, Calling("t", {{"get_weather", "{location: Oslo"}})),
              ::testing::Optional(HasSubstr("are not a JSON object")));
  EXPECT_THAT(ToolCallViolation(params, Calling("t", {{"get_weather", R"({"city": "Oslo"})"}})),
              ::testing::Optional(HasSubstr("do not fit its schema: $.location: is missing")));
  params.set_tool_choice("required");
  EXPECT_THAT(ToolCallViolation(params, Answer("t", "sunny", -0.1, 1, 1, 1, 1)),
              ::testing::Optional(HasSubstr("no tool call although tool_choice is \"required\"")));
  params.set_tool_choice("get_weather");
  EXPECT_THAT(ToolCallViolation(params, Answer("t", "sunny", -0.1, 1, 1, 1, 1)),
              ::testing::Optional(HasSubstr("no call of 'get_weather'")));
  params.set_tool_choice("none");
  EXPECT_THAT(ToolCallViolation(params, Calling("t", {{"get_weather", R"({"location": "x"})"}})),
              ::testing::Optional(HasSubstr("tool_choice is \"none\"")));
  params.clear_tool_choice();
  params.set_parallel_tool_calls(false);
  EXPECT_THAT(ToolCallViolation(params, Calling("t", {{"get_weather", R"({"location": "a"})"},
                                                      {"get_weather", R"({"location": "b"})"}})),
              ::testing::Optional(HasSubstr("parallel_tool_calls is false")));
}

class ToolCallsThroughTheCascadeTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::CascadeResponse> Run(const v1::CascadeRequest& request,
                                          bool temperature_unset = false) {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_,
                                                   [] { return absl::FromUnixSeconds(1000); });
    CascadeCall call;
    call.request_id = "req-tools";
    call.cancellation = &cancel_;
    call.temperature_unset = temperature_unset;
    return orchestrator_->Complete(request, call);
  }

  static v1::CascadeRequest AskWithTools() {
    v1::CascadeRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content("weather in Oslo?");
    *request.mutable_params() = WeatherTool();
    return request;
  }

  OrchestratorSettings settings_ = testing::SmallThenLargeSettings();
  std::shared_ptr<FakeTierClient> small_ = std::make_shared<FakeTierClient>("small", 1, 2);
  std::shared_ptr<FakeTierClient> large_ = std::make_shared<FakeTierClient>("large", 10, 20);
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  CancellationToken cancel_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(ToolCallsThroughTheCascadeTest, AnInvalidCallClimbsAndAValidOneIsAccepted) {
  small_->Enqueue(Calling("small", {{"get_wether", R"({"location": "Oslo"})"}}));
  large_->Enqueue(Calling("large", {{"get_weather", R"({"location": "Oslo"})"}}));
  auto response = Run(AskWithTools());
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_FALSE(response->steps(0).accepted());
  EXPECT_EQ(response->steps(0).method(), "tool_call");
  EXPECT_THAT(response->steps(0).error(), HasSubstr("'get_wether' is not a declared tool"));
  EXPECT_EQ(response->final_tier(), "large");
  EXPECT_EQ(response->finish_reason(), v1::FINISH_REASON_TOOL_CALLS);
  ASSERT_EQ(response->tool_calls_size(), 1);
  EXPECT_EQ(response->tool_calls(0).name(), "get_weather");
  EXPECT_THAT(observer_->Text(),
              HasSubstr("escalation from=small to=large reason=invalid_tool_call"));
  // The tools reached the tiers as sent.
  EXPECT_EQ(small_->requests()[0].params().tools(0).name(), "get_weather");

  // A valid call at the small tier stops there, though it has no logprobs.
  small_->Enqueue(Calling("small", {{"get_weather", R"({"location": "Oslo"})"}}));
  response = Run(AskWithTools());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
  EXPECT_EQ(response->steps(0).method(), "tool_call");
}

TEST_F(ToolCallsThroughTheCascadeTest, ATierWithoutToolsIsSkippedAndTheTraceSaysSo) {
  small_->SupportTools(false);
  large_->Enqueue(Calling("large", {{"get_weather", R"({"location": "Oslo"})"}}));
  auto response = Run(AskWithTools());
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_THAT(response->steps(0).skipped(), HasSubstr("tools"));
  EXPECT_EQ(response->steps(0).cost_pusd(), 0);
  EXPECT_EQ(small_->calls(), 0);
  EXPECT_EQ(response->final_tier(), "large");
  // Without tools, the same tier serves as usual.
  v1::CascadeRequest plain = AskWithTools();
  plain.mutable_params()->clear_tools();
  small_->Enqueue(Answer("small", "sunny", -0.1, 5, 2, 1, 2));
  response = Run(plain);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->final_tier(), "small");
}

TEST_F(ToolCallsThroughTheCascadeTest, NoTierTakingToolsIsInvalidArgumentNamingTheFeature) {
  small_->SupportTools(false);
  large_->SupportTools(false);
  auto response = Run(AskWithTools());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(),
              HasSubstr("no tier of policy 'default' that this request could use takes tools "
                        "(small, large do not)"));
  EXPECT_EQ(small_->calls() + large_->calls(), 0);
}

v1::CascadeRequest AskAboutAnImage() {
  v1::CascadeRequest request;
  v1::ChatMessage* message = request.add_messages();
  message->set_role("user");
  message->set_content("what is this?");
  message->add_parts()->set_text("what is this?");
  message->add_parts()->set_image_url("https://example.com/cat.png");
  return request;
}

TEST_F(ToolCallsThroughTheCascadeTest, AnImageGoesOnlyToTiersThatTakeImages) {
  large_->SupportImages(true);
  large_->Enqueue(Answer("large", "a cat", -0.1, 5, 2, 1, 2));
  auto response = Run(AskAboutAnImage());
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->steps_size(), 2);
  EXPECT_THAT(response->steps(0).skipped(), HasSubstr("images"));
  EXPECT_EQ(small_->calls(), 0);
  EXPECT_EQ(response->final_tier(), "large");
  ASSERT_EQ(large_->requests().back().messages(0).parts_size(), 2);
  EXPECT_EQ(large_->requests().back().messages(0).parts(1).image_url(),
            "https://example.com/cat.png");
}

TEST_F(ToolCallsThroughTheCascadeTest, NoTierTakingImagesIsInvalidArgumentNamingTheFeature) {
  auto response = Run(AskAboutAnImage());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(response.status().message(),
              HasSubstr("images: no tier of policy 'default' that this request could use takes "
                        "images (small, large do not)"));
  EXPECT_EQ(small_->calls() + large_->calls(), 0);
}

TEST_F(ToolCallsThroughTheCascadeTest, LogprobsReachTheResponseOnlyWhenAsked) {
  small_->Enqueue(Answer("small", "sunny", -0.1, 5, 2, 1, 2));
  v1::CascadeRequest request = AskWithTools();
  request.mutable_params()->clear_tools();
  auto response = Run(request);
  ASSERT_TRUE(response.ok()) << response.status();
  // Every tier is asked for logprobs (signals), but the client did not ask.
  EXPECT_TRUE(small_->requests().back().params().logprobs());
  EXPECT_EQ(response->logprobs_size(), 0);
  request.mutable_params()->set_logprobs(true);
  response = Run(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->logprobs_size(), 2);
  EXPECT_DOUBLE_EQ(response->logprobs(0).logprob(), -0.1);
}

TEST_F(ToolCallsThroughTheCascadeTest, AnOmittedTemperatureIsThePolicysDefault) {
  small_->Enqueue(Answer("small", "sunny", -0.1, 5, 2, 1, 2));
  v1::CascadeRequest request = AskWithTools();
  request.mutable_params()->clear_tools();
  ASSERT_TRUE(Run(request, /*temperature_unset=*/true).ok());
  EXPECT_FLOAT_EQ(small_->requests().back().params().temperature(), 1.0f);  // OpenAI's.
  ASSERT_TRUE(Run(request, /*temperature_unset=*/false).ok());
  EXPECT_FLOAT_EQ(small_->requests().back().params().temperature(), 0.0f);  // Greedy, as sent.
  settings_.policies[0].default_temperature = 0.3;
  ASSERT_TRUE(Run(request, /*temperature_unset=*/true).ok());
  EXPECT_FLOAT_EQ(small_->requests().back().params().temperature(), 0.3f);
}

}  // namespace
}  // namespace cascade::orchestrator
