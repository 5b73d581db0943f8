// The front door over HTTP on loopback with a CascadeHandler double: whole and streamed
// answers, errors in OpenAI's shape, API keys, the connection cap (429), the body limit
// (413), a client that goes away (cancels the cascade) and the drain.

#include "services/orchestrator/front_door/http_front_door.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/metric_value.h"
#include "tests/support/poll.h"

namespace cascade {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class FakeCascade : public orchestrator::CascadeHandler {
 public:
  using Behaviour = std::function<absl::StatusOr<v1::CascadeResponse>(
      const v1::CascadeRequest&, const orchestrator::CascadeCall&)>;

  absl::StatusOr<v1::CascadeResponse> Complete(const v1::CascadeRequest& request,
                                               const orchestrator::CascadeCall& call) override {
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      request_ids_.push_back(call.request_id);
    }
    if (behaviour_) return behaviour_(request, call);
    return Answer("Hello there.");
  }
  std::vector<std::string> PolicyNames() const override { return {"default", "cheap"}; }

  static v1::CascadeResponse Answer(const std::string& text) {
    v1::CascadeResponse response;
    response.set_answer(text);
    response.set_final_tier("small");
    response.set_model("bard-draft");
    response.set_route("greetings");
    response.mutable_usage()->set_prompt_tokens(5);
    response.mutable_usage()->set_completion_tokens(3);
    v1::CascadeStep* step = response.add_steps();
    step->set_tier("small");
    step->set_accepted(true);
    step->set_cost_pusd(2400);
    response.set_cost_pusd(2400);
    response.set_baseline_cost_pusd(80000);
    response.set_savings_pusd(77600);
    response.set_finish_reason(v1::FINISH_REASON_STOP);
    return response;
  }

  Behaviour behaviour_;
  absl::Mutex mu_;
  std::vector<v1::CascadeRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> request_ids_ ABSL_GUARDED_BY(mu_);
};

constexpr char kHello[] =
    R"({"model": "default", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16})";

class HttpFrontDoorTest : public ::testing::Test {
 protected:
  void Start(HttpFrontDoorOptions options = {}) {
    auto door = HttpFrontDoor::Start(ListenAddress{false, "127.0.0.1", 0, ""}, options, &cascade_,
                                     &registry_);
    ASSERT_TRUE(door.ok()) << door.status();
    door_ = *std::move(door);
    const std::string& address = door_->address();
    port_ = std::stoi(address.substr(address.rfind(':') + 1));
  }
  httplib::Client Client() {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    return client;
  }
  static json Body(const httplib::Result& result) { return json::parse(result->body); }

  // A completion that is served until `release`: returns once the cascade holds it. Later
  // completions are answered at once.
  std::thread HoldOneCompletion(absl::Notification& release) {
    auto entered = std::make_shared<absl::Notification>();
    auto first = std::make_shared<std::atomic<bool>>(true);
    cascade_.behaviour_ = [entered, first, &release](const v1::CascadeRequest&,
                                                     const orchestrator::CascadeCall&) {
      if (first->exchange(false)) {
        entered->Notify();
        release.WaitForNotificationWithTimeout(absl::Seconds(20));
      }
      return FakeCascade::Answer("slow");
    };
    std::thread holder([this] {
      httplib::Client client = Client();
      auto result = client.Post("/v1/chat/completions", kHello, "application/json");
      EXPECT_TRUE(result && result->status == 200);
    });
    EXPECT_TRUE(entered->WaitForNotificationWithTimeout(absl::Seconds(20)));
    return holder;
  }

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return testing::MetricValue(registry_, name, labels);
  }

  prometheus::Registry registry_;
  FakeCascade cascade_;
  std::unique_ptr<HttpFrontDoor> door_;
  int port_ = 0;
};

TEST_F(HttpFrontDoorTest, AnswersAWholeCompletionWithTheTrace) {
  Start();
  httplib::Client client = Client();
  auto result =
      client.Post("/v1/chat/completions", {{"x-request-id", "req-42"}}, kHello, "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  json body = Body(result);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["id"], "chatcmpl-req-42");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello there.");
  EXPECT_EQ(body["cascade"]["final_tier"], "small");
  EXPECT_EQ(body["cascade"]["savings_pusd"], 77600);
  EXPECT_EQ(result->get_header_value("x-request-id"), "req-42");
  EXPECT_EQ(result->get_header_value("x-cascade-final-tier"), "small");
  EXPECT_EQ(result->get_header_value("x-cascade-cost-pusd"), "2400");
  EXPECT_EQ(json::parse(result->get_header_value("x-cascade-trace"))["route"], "greetings");
  absl::MutexLock lock(&cascade_.mu_);
  ASSERT_EQ(cascade_.requests_.size(), 1u);
  EXPECT_EQ(cascade_.requests_[0].policy(), "default");
  EXPECT_EQ(cascade_.requests_[0].params().max_tokens(), 16);
  EXPECT_EQ(cascade_.request_ids_[0], "req-42");
}

TEST_F(HttpFrontDoorTest, ALongTraceKeepsTheHeaderShortAndTheBodyWhole) {
  cascade_.behaviour_ = [](const v1::CascadeRequest&, const orchestrator::CascadeCall&) {
    v1::CascadeResponse response = FakeCascade::Answer("ok");
    v1::CascadeStep* failed = response.add_steps();
    failed->set_tier("large");
    failed->set_error(std::string(20000, 'x'));
    return response;
  };
  Start();
  httplib::Client client = Client();
  auto result = client.Post("/v1/chat/completions", kHello, "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  const std::string header = result->get_header_value("x-cascade-trace");
  EXPECT_LE(header.size(), 4096u);
  EXPECT_EQ(json::parse(header)["steps"], 2);
  EXPECT_EQ(Body(result)["cascade"]["steps"][1]["error"].get<std::string>().size(), 20000u);
}

TEST_F(HttpFrontDoorTest, StreamsOnlyWhatTheCascadeReleasesThenUsageAndDone) {
  cascade_.behaviour_ = [](const v1::CascadeRequest&, const orchestrator::CascadeCall& call) {
    call.on_text("Hel", {});
    call.on_text("lo", {});
    // The handler's final answer has more than it streamed: the door sends the rest.
    return FakeCascade::Answer("Hello there.");
  };
  Start();
  httplib::Client client = Client();
  auto result = client.Post(
      "/v1/chat/completions",
      R"({"model": "cheap", "messages": [{"role": "user", "content": "hi"}], "stream": true,
          "stream_options": {"include_usage": true}})",
      "application/json");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  EXPECT_THAT(result->get_header_value("Content-Type"), HasSubstr("text/event-stream"));
  std::vector<std::string> events;
  for (absl::string_view event : absl::StrSplit(result->body, "\n\n", absl::SkipEmpty())) {
    ASSERT_TRUE(absl::StartsWith(event, "data: ")) << event;
    events.emplace_back(event.substr(6));
  }
  ASSERT_EQ(events.size(), 7u) << result->body;
  EXPECT_EQ(json::parse(events[0])["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (int i = 1; i <= 3; ++i) text += json::parse(events[i])["choices"][0]["delta"]["content"];
  EXPECT_EQ(text, "Hello there.");
  json finish = json::parse(events[4]);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(finish["cascade"]["final_tier"], "small");
  EXPECT_EQ(json::parse(events[5])["usage"]["total_tokens"], 8);
  EXPECT_EQ(events[6], "[DONE]");
}

TEST_F(HttpFrontDoorTest, EachStreamedDeltaCarriesItsTokensLogprobsWhenAsked) {
  const auto tokens = [](std::vector<std::string> texts) {
    orchestrator::TokenLogprobs out;
    for (const std::string& text : texts) {
      v1::TokenLogprob* token = out.Add();
      token->set_token(text);
      token->set_logprob(-0.5);
    }
    return out;
  };
  cascade_.behaviour_ = [&](const v1::CascadeRequest& request,
                            const orchestrator::CascadeCall& call) {
    call.on_text("Hel", tokens({"Hel"}));
    call.on_text("lo", tokens({"lo"}));
    v1::CascadeResponse answer = FakeCascade::Answer("Hello there.");
    // The response holds the logprobs only when asked, as the orchestrator's does.
    if (request.params().logprobs()) *answer.mutable_logprobs() = tokens({"Hel", "lo", " there."});
    return answer;
  };
  Start();
  const auto stream = [&](bool logprobs) {
    httplib::Client client = Client();
    json body = {{"model", "default"},
                 {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                 {"stream", true},
                 {"logprobs", logprobs}};
    auto result = client.Post("/v1/chat/completions", body.dump(), "application/json");
    std::vector<json> choices;
    if (!result || result->status != 200) return choices;
    for (absl::string_view event : absl::StrSplit(result->body, "\n\n", absl::SkipEmpty())) {
      if (event == "data: [DONE]") continue;
      choices.push_back(json::parse(event.substr(6))["choices"][0]);
    }
    return choices;
  };
  std::vector<json> asked = stream(true);
  ASSERT_EQ(asked.size(), 5u);  // Role, "Hel", "lo", the rest, finish.
  EXPECT_EQ(asked[1]["logprobs"]["content"][0]["token"], "Hel");
  EXPECT_EQ(asked[2]["logprobs"]["content"][0]["token"], "lo");
  // The rest of the answer, which the handler did not stream, comes with its own.
  EXPECT_EQ(asked[3]["delta"]["content"], " there.");
  ASSERT_EQ(asked[3]["logprobs"]["content"].size(), 1u);
  EXPECT_EQ(asked[3]["logprobs"]["content"][0]["token"], " there.");
  EXPECT_TRUE(asked[4]["logprobs"].is_null());
  for (const json& choice : stream(false)) EXPECT_TRUE(choice["logprobs"].is_null()) << choice;
}

TEST_F(HttpFrontDoorTest, AStreamedFailureIsAnErrorEvent) {
  cascade_.behaviour_ = [](const v1::CascadeRequest&, const orchestrator::CascadeCall&) {
    return absl::UnavailableError("every tier failed: small: down; large: down");
  };
  Start();
  httplib::Client client = Client();
  auto result = client.Post(
      "/v1/chat/completions",
      R"({"model": "default", "messages": [{"role": "user", "content": "hi"}], "stream": true})",
      "application/json");
  ASSERT_TRUE(result);
  EXPECT_THAT(result->body, HasSubstr("every tier failed"));
  EXPECT_THAT(result->body, Not(HasSubstr("[DONE]")));
}

TEST_F(HttpFrontDoorTest, ErrorsAreOpenAIShapedAndNameWhatToFix) {
  cascade_.behaviour_ = [](const v1::CascadeRequest&, const orchestrator::CascadeCall&) {
    return absl::DeadlineExceededError("the deadline passed at tier large");
  };
  HttpFrontDoorOptions options;
  options.max_body_bytes = 4096;
  Start(options);
  httplib::Client client = Client();
  auto unknown_model = client.Post(
      "/v1/chat/completions",
      R"({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})", "application/json");
  ASSERT_TRUE(unknown_model);
  EXPECT_EQ(unknown_model->status, 404);
  EXPECT_EQ(Body(unknown_model)["error"]["code"], "model_not_found");
  EXPECT_THAT(Body(unknown_model)["error"]["message"].get<std::string>(),
              HasSubstr("default, cheap"));

  auto bad_json = client.Post("/v1/chat/completions", "{nope", "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(Body(bad_json)["error"]["type"], "invalid_request_error");

  auto tools = client.Post(
      "/v1/chat/completions",
      R"({"model": "default", "messages": [{"role": "user", "content": "x"}], "tools": [{}]})",
      "application/json");
  ASSERT_TRUE(tools);
  EXPECT_EQ(tools->status, 400);
  EXPECT_THAT(Body(tools)["error"]["message"].get<std::string>(), HasSubstr("'tools[0].type'"));

  auto too_big = client.Post("/v1/chat/completions", std::string(8192, ' '), "application/json");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(Body(too_big)["error"]["code"], "request_too_large");

  auto timeout = client.Post("/v1/chat/completions", kHello, "application/json");
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->status, 504);
  EXPECT_THAT(Body(timeout)["error"]["message"].get<std::string>(), HasSubstr("tier large"));

  auto no_route = client.Get("/v1/embeddings");
  ASSERT_TRUE(no_route);
  EXPECT_EQ(no_route->status, 404);
  EXPECT_THAT(Body(no_route)["error"]["message"].get<std::string>(), HasSubstr("/v1/models"));
}

TEST_F(HttpFrontDoorTest, ListsPoliciesAsModels) {
  Start();
  httplib::Client client = Client();
  auto result = client.Get("/v1/models");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);
  std::vector<std::string> ids;
  const json body = Body(result);
  for (const json& model : body["data"]) ids.push_back(model["id"]);
  EXPECT_THAT(ids, ElementsAre("default", "cheap"));
}

TEST_F(HttpFrontDoorTest, ModelAliasesAndWhatAnUnknownModelGets) {
  v1::OrchestratorHttpConfig config;
  (*config.mutable_model_aliases())["gpt-4o-mini"] = "cheap";
  absl::StatusOr<HttpFrontDoorOptions> options = HttpFrontDoorOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  Start(*options);
  httplib::Client client = Client();
  auto models = client.Get("/v1/models");
  ASSERT_TRUE(models);
  std::vector<std::string> ids;
  const json listed = Body(models);
  for (const json& model : listed["data"]) ids.push_back(model["id"]);
  EXPECT_THAT(ids, ElementsAre("default", "cheap", "gpt-4o-mini"));
  EXPECT_EQ(listed["data"][2]["cascade_policy"], "cheap");

  auto aliased =
      client.Post("/v1/chat/completions",
                  R"({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})",
                  "application/json");
  ASSERT_TRUE(aliased);
  EXPECT_EQ(aliased->status, 200);
  // The client sees the name it sent; the cascade runs the alias's policy.
  EXPECT_EQ(Body(aliased)["model"], "gpt-4o-mini");
  {
    absl::MutexLock lock(&cascade_.mu_);
    EXPECT_EQ(cascade_.requests_.back().policy(), "cheap");
  }
  auto unknown = client.Post(
      "/v1/chat/completions",
      R"({"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]})", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_THAT(Body(unknown)["error"]["message"].get<std::string>(),
              HasSubstr("default, cheap, gpt-4o-mini"));

  config.set_unknown_model("default_policy");
  options = HttpFrontDoorOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  Start(*options);
  httplib::Client again = Client();
  auto defaulted = again.Post(
      "/v1/chat/completions",
      R"({"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]})", "application/json");
  ASSERT_TRUE(defaulted);
  EXPECT_EQ(defaulted->status, 200);
  {
    absl::MutexLock lock(&cascade_.mu_);
    EXPECT_EQ(cascade_.requests_.back().policy(), "");  // The default policy.
  }
  config.set_unknown_model("fallback");
  EXPECT_EQ(HttpFrontDoorOptionsFromConfig(config).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HttpFrontDoorTest, MetricsCountRequestsByPolicyAndStatusAndTimeTheFirstToken) {
  cascade_.behaviour_ = [](const v1::CascadeRequest&, const orchestrator::CascadeCall& call) {
    if (call.on_text) call.on_text("Hello there.", {});
    return FakeCascade::Answer("Hello there.");
  };
  Start();
  httplib::Client client = Client();
  ASSERT_EQ(client.Post("/v1/chat/completions", kHello, "application/json")->status, 200);
  ASSERT_EQ(client.Post("/v1/chat/completions", "{nope", "application/json")->status, 400);
  const std::string streamed =
      R"({"model": "cheap", "messages": [{"role": "user", "content": "hi"}], "stream": true})";
  ASSERT_EQ(client.Post("/v1/chat/completions", streamed, "application/json")->status, 200);
  EXPECT_EQ(Metric("cascade_http_requests_total", {{"policy", "default"}, {"code", "200"}}), 1);
  EXPECT_EQ(Metric("cascade_http_requests_total", {{"policy", "cheap"}, {"code", "200"}}), 1);
  EXPECT_EQ(Metric("cascade_http_requests_total", {{"policy", "-"}, {"code", "400"}}), 1);
  EXPECT_EQ(Metric("cascade_http_time_to_first_byte_seconds", {{"policy", "default"}}), 1);
  // Only a stream has a first token apart from its whole answer.
  EXPECT_EQ(Metric("cascade_http_time_to_first_token_seconds", {{"policy", "cheap"}}), 1);
  EXPECT_EQ(Metric("cascade_http_time_to_first_token_seconds", {{"policy", "default"}}), -1);
  // The stream's last event reaches the client just before the door counts it done.
  EXPECT_TRUE(testing::PollUntil([&] { return Metric("cascade_http_in_flight", {}) == 0; },
                                 std::chrono::seconds(10)));
  // Every rejection reason is exported from the start, at zero.
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "max_connections"}}), 0);
  ASSERT_EQ(
      client.Post("/v1/chat/completions", std::string(2 << 20, ' '), "application/json")->status,
      413);
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "body_too_large"}}), 1);
}

TEST_F(HttpFrontDoorTest, ApiKeysFromTheEnvironment) {
  ::setenv("CASCADE_TEST_FRONT_DOOR_KEYS", "key-one, key-two", 1);
  v1::OrchestratorHttpConfig config;
  config.set_api_keys_env("CASCADE_TEST_FRONT_DOOR_KEYS");
  absl::StatusOr<HttpFrontDoorOptions> options = HttpFrontDoorOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->api_keys, ElementsAre("key-one", "key-two"));
  Start(*options);
  httplib::Client client = Client();
  auto missing = client.Get("/v1/models");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(Body(missing)["error"]["code"], "invalid_api_key");
  auto wrong = client.Get("/v1/models", {{"Authorization", "Bearer key-three"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "unauthorized"}}), 2);
  auto right = client.Get("/v1/models", {{"Authorization", "Bearer key-two"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);

  config.set_api_keys_env("CASCADE_TEST_FRONT_DOOR_NO_SUCH_VARIABLE");
  EXPECT_FALSE(HttpFrontDoorOptionsFromConfig(config).ok());
  config.clear_api_keys_env();
  config.set_max_connections(-1);
  EXPECT_EQ(HttpFrontDoorOptionsFromConfig(config).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HttpFrontDoorTest, AnswersTooManyRequestsAtTheConnectionCap) {
  HttpFrontDoorOptions options;
  options.max_connections = 1;
  Start(options);
  absl::Notification release;
  std::thread holder = HoldOneCompletion(release);
  httplib::Client second = Client();
  auto rejected = second.Post("/v1/chat/completions", kHello, "application/json");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 429);
  EXPECT_EQ(Body(rejected)["error"]["code"], "too_many_connections");
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "max_connections"}}), 1);
  EXPECT_EQ(Metric("cascade_http_in_flight", {}), 1);  // The held request.
  release.Notify();
  holder.join();
  // The cap's connection is free again (the rejected one was closed, not queued).
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        httplib::Client again = Client();
        auto result = again.Get("/v1/models");
        return result && result->status == 200;
      },
      std::chrono::seconds(20)));
}

TEST_F(HttpFrontDoorTest, AnswersTooManyRequestsPastTheConcurrencyCap) {
  HttpFrontDoorOptions options;
  options.max_concurrent_requests = 1;
  Start(options);
  absl::Notification release;
  std::thread holder = HoldOneCompletion(release);
  httplib::Client second = Client();
  auto rejected = second.Post("/v1/chat/completions", kHello, "application/json");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 429);
  EXPECT_EQ(rejected->get_header_value("Retry-After"), "1");
  EXPECT_EQ(Body(rejected)["error"]["code"], "too_many_requests");
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "max_concurrent_requests"}}), 1);
  // The cap is on chat completions only: the same connection still lists the models.
  auto models = second.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  release.Notify();
  holder.join();
  // The held completion gives its slot back just after its answer is written.
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        auto after = second.Post("/v1/chat/completions", kHello, "application/json");
        return after && after->status == 200;
      },
      std::chrono::seconds(20)));
}

TEST_F(HttpFrontDoorTest, HeadersOverTheLimitAreRefusedInOpenAIShape) {
  HttpFrontDoorOptions options;
  options.max_header_bytes = 2048;
  Start(options);
  httplib::Client client = Client();
  auto result = client.Post("/v1/chat/completions", {{"X-Padding", std::string(4096, 'p')}}, kHello,
                            "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 431);
  EXPECT_EQ(Body(result)["error"]["code"], "headers_too_large");
  EXPECT_EQ(Metric("cascade_http_rejected_total", {{"reason", "header_too_large"}}), 1);
}

TEST(HttpFrontDoorConfigTest, LimitsAndTimeoutsFromTheConfig) {
  v1::OrchestratorHttpConfig config;
  auto defaults = HttpFrontDoorOptionsFromConfig(config);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_connections, 1024);
  EXPECT_EQ(defaults->request_timeout, std::chrono::seconds(30));
  config.set_max_concurrent_requests(8);
  config.set_max_header_bytes(4096);
  config.mutable_request_timeout()->set_seconds(5);
  config.mutable_write_timeout()->set_nanos(250'000'000);
  auto options = HttpFrontDoorOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->max_concurrent_requests, 8);
  EXPECT_EQ(options->max_header_bytes, 4096);
  EXPECT_EQ(options->request_timeout, std::chrono::seconds(5));
  EXPECT_EQ(options->write_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options->idle_timeout, std::chrono::seconds(60));

  const auto refused = [](const v1::OrchestratorHttpConfig& bad) {
    return HttpFrontDoorOptionsFromConfig(bad).status();
  };
  v1::OrchestratorHttpConfig bad = config;
  bad.set_max_concurrent_requests(70000);
  EXPECT_THAT(refused(bad).message(), HasSubstr("http.max_concurrent_requests"));
  bad = config;
  bad.set_max_header_bytes(-1);
  EXPECT_THAT(refused(bad).message(), HasSubstr("http.max_header_bytes"));
  bad = config;
  bad.mutable_idle_timeout()->set_seconds(0);
  EXPECT_THAT(refused(bad).message(), HasSubstr("http.idle_timeout"));
  EXPECT_EQ(refused(bad).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HttpFrontDoorTest, AClientThatGoesAwayCancelsTheCascade) {
  std::atomic<bool> saw_cancel{false};
  cascade_.behaviour_ = [&](const v1::CascadeRequest&, const orchestrator::CascadeCall& call) {
    saw_cancel = call.cancellation->WaitUntil(absl::Now() + absl::Seconds(20));
    return absl::CancelledError("the client went away");
  };
  Start();
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(0, 200'000);  // Gives up after 200 ms and closes its socket.
  auto result = client.Post("/v1/chat/completions", kHello, "application/json");
  EXPECT_FALSE(result);
  client.stop();
  EXPECT_TRUE(testing::PollUntil([&] { return saw_cancel.load(); }, std::chrono::seconds(10)));
}

TEST_F(HttpFrontDoorTest, DrainCancelsWhatOutlivesTheGrace) {
  absl::Notification entered;
  std::atomic<bool> saw_cancel{false};
  cascade_.behaviour_ = [&](const v1::CascadeRequest&, const orchestrator::CascadeCall& call) {
    entered.Notify();
    saw_cancel = call.cancellation->WaitUntil(absl::Now() + absl::Seconds(20));
    return absl::CancelledError("drained");
  };
  Start();
  std::thread caller([&] {
    httplib::Client client = Client();
    auto result = client.Post("/v1/chat/completions", kHello, "application/json");
    if (result) {
      EXPECT_EQ(result->status, 499);
    }
  });
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(20)));
  door_->BeginDrain();
  door_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  caller.join();
  EXPECT_TRUE(saw_cancel);
}

TEST(HttpFrontDoorNoCascadeTest, AnswersUnavailable) {
  auto door = HttpFrontDoor::Start(ListenAddress{false, "127.0.0.1", 0, ""});
  ASSERT_TRUE(door.ok());
  const std::string& address = (*door)->address();
  httplib::Client client("127.0.0.1", std::stoi(address.substr(address.rfind(':') + 1)));
  auto result = client.Post("/v1/chat/completions", kHello, "application/json");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 503);
}

}  // namespace
}  // namespace cascade
