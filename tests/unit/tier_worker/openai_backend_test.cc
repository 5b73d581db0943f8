// Protocol tests of the OpenAI-compatible backend against a scripted HTTP server on
// loopback: the edge cases no real upstream produces on demand.

#include "services/tier_worker/openai_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "absl/time/clock.h"
#include "common/http/testing/fake_clock.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "services/tier_worker/tier_worker.h"
#include "tests/support/poll.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using http::testing::FakeClock;
using http::testing::FixedRandom;
using testing::ChatCompletionChunks;
using testing::ChatCompletionJson;
using testing::FakeOpenAIServer;
using testing::FakeReply;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "sk-test-0123456789abcdef";

CompleteRequest Hello(bool logprobs = true) {
  CompleteRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("Say hello, please.");
  request.mutable_params()->set_logprobs(logprobs);
  if (logprobs) request.mutable_params()->set_top_logprobs(2);
  return request;
}

class CollectingSink final : public DeltaSink {
 public:
  bool OnDelta(const CompleteChunk& delta) override {
    text += delta.text();
    logprobs += delta.logprobs_size();
    ++deltas;
    return deltas < refuse_after;
  }
  std::string text;
  int logprobs = 0;
  int deltas = 0;
  int refuse_after = 1 << 30;
};

class OpenAIBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = FakeOpenAIServer::Start();
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<OpenAIBackend> Backend(int max_retries = 2, bool use_fake_clock = true) {
    OpenAIBackendOptions options;
    options.base_url = server_->base_url();
    options.model = "fake-model";
    options.api_key = kApiKey;
    options.retry.max_retries = max_retries;
    options.retry.initial_backoff = absl::Milliseconds(100);
    options.retry.max_backoff = absl::Seconds(2);
    if (use_fake_clock) options.clock = &clock_;
    options.random = &random_;
    return std::make_unique<OpenAIBackend>(std::move(options));
  }

  CallContext Context(absl::Duration timeout = absl::Seconds(20)) {
    CallContext context;
    context.request_id = "req-1";
    context.deadline = absl::Now() + timeout;
    context.cancel = &cancel_;
    context.on_retry = [this](http::RetryReason reason, absl::Duration, const absl::Status&) {
      retry_reasons_.push_back(std::string(http::RetryReasonLabel(reason)));
    };
    return context;
  }

  std::unique_ptr<FakeOpenAIServer> server_;
  FakeClock clock_;
  FixedRandom random_{{0.0}};
  CancellationToken cancel_;
  std::vector<std::string> retry_reasons_;
};

TEST_F(OpenAIBackendTest, WholeAnswerWithLogprobsUsageAndModel) {
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"Hel", "lo", "!"}, 12, 3, true)));
  auto response = Backend()->Complete(Hello(), Context(), nullptr);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "Hello!");
  EXPECT_EQ(response->finish_reason(), cascade::v1::FINISH_REASON_STOP);
  EXPECT_EQ(response->logprobs_size(), 3);
  EXPECT_EQ(response->usage().prompt_tokens(), 12);
  EXPECT_EQ(response->usage().completion_tokens(), 3);
  EXPECT_EQ(response->upstream_model(), "fake-model-2025");

  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers["authorization"], std::string("Bearer ") + kApiKey);
  EXPECT_EQ(requests[0].headers["x-request-id"], "req-1");
  EXPECT_EQ(requests[0].body["model"], "fake-model");
  EXPECT_EQ(requests[0].body["logprobs"], true);
  EXPECT_EQ(requests[0].body["top_logprobs"], 2);
}

TEST_F(OpenAIBackendTest, RateLimitedWithRetryAfterThenSuccess) {
  FakeReply limited = FakeReply::Error(429, "slow down");
  limited.headers = {{"Retry-After", "1"}};
  server_->Enqueue(limited);
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"ok"}, 5, 1, true)));
  // The real clock: the wait really happens.
  absl::Time start = absl::Now();
  auto response = Backend(2, /*use_fake_clock=*/false)->Complete(Hello(), Context(), nullptr);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(response->text(), "ok");
  EXPECT_EQ(server_->calls(), 2);
  EXPECT_EQ(retry_reasons_, std::vector<std::string>{"rate_limited"});
}

TEST_F(OpenAIBackendTest, RetryAfterLongerThanTheBackoffIsWhatIsWaited) {
  FakeReply limited = FakeReply::Error(429, "slow down");
  limited.headers = {{"retry-after-ms", "1500"}};
  server_->Enqueue(limited);
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"ok"}, 5, 1, true)));
  ASSERT_TRUE(Backend()->Complete(Hello(), Context(), nullptr).ok());
  EXPECT_EQ(clock_.sleeps(), std::vector<absl::Duration>{absl::Milliseconds(1500)});
}

TEST_F(OpenAIBackendTest, ServerErrorTwiceThenSuccessWithExponentialBackoff) {
  server_->Enqueue(FakeReply::Error(500, "boom"));
  server_->Enqueue(FakeReply::Error(502, "bad gateway"));
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"fine"}, 5, 1, true)));
  auto response = Backend()->Complete(Hello(), Context(), nullptr);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(server_->calls(), 3);
  // Jitter 0: half of 100 ms, then half of 200 ms.
  EXPECT_EQ(clock_.sleeps(),
            (std::vector<absl::Duration>{absl::Milliseconds(50), absl::Milliseconds(100)}));
  EXPECT_EQ(retry_reasons_, (std::vector<std::string>{"server_error", "server_error"}));
}

TEST_F(OpenAIBackendTest, RetriesExhaustedKeepTheCodeAndTheUpstreamMessage) {
  server_->Enqueue(FakeReply::Error(503, "model overloaded"));
  auto response = Backend(2)->Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("model overloaded"));
  EXPECT_THAT(response.status().message(), HasSubstr("after 2 retries"));
  EXPECT_EQ(server_->calls(), 3);
}

TEST_F(OpenAIBackendTest, RateLimitedAfterRetriesIsResourceExhausted) {
  server_->Enqueue(FakeReply::Error(429, "quota"));
  auto response = Backend(1)->Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(server_->calls(), 2);
}

TEST_F(OpenAIBackendTest, UnauthorizedIsUnauthenticatedAndNotRetried) {
  server_->Enqueue(FakeReply::Error(401, "Incorrect API key provided"));
  auto response = Backend()->Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(response.status().message(), HasSubstr("Incorrect API key provided"));
  EXPECT_EQ(server_->calls(), 1);
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST_F(OpenAIBackendTest, ClientErrorsMapAndAreNotRetried) {
  server_->Enqueue(FakeReply::Error(400, "max_tokens too large"));
  server_->Enqueue(FakeReply::Error(404, "The model does not exist"));
  server_->Enqueue(FakeReply::Error(403, "not allowed"));
  auto backend = Backend();
  auto bad = backend->Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("max_tokens too large"));
  EXPECT_EQ(backend->Complete(Hello(), Context(), nullptr).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(backend->Complete(Hello(), Context(), nullptr).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(server_->calls(), 3);
}

TEST_F(OpenAIBackendTest, MalformedJsonIsInternalAndNotRetried) {
  FakeReply garbage;
  garbage.body = "{\"choices\": [ {\"message\": ";
  server_->Enqueue(garbage);
  auto response = Backend()->Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(response.status().message(), HasSubstr("not a valid chat completion"));
  EXPECT_EQ(server_->calls(), 1);
}

TEST_F(OpenAIBackendTest, AnswerWithoutLogprobs) {
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"plain"}, 4, 1, false)));
  auto response = Backend()->Complete(Hello(), Context(), nullptr);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "plain");
  EXPECT_EQ(response->logprobs_size(), 0);
  EXPECT_EQ(response->usage().completion_tokens(), 1);
}

TEST_F(OpenAIBackendTest, StreamPassesDeltasOnAndEndsWithUsage) {
  server_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"a", "b", "c"}, 9, 3, true, true)));
  CollectingSink sink;
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(sink.text, "abc");
  EXPECT_EQ(sink.logprobs, 3);
  EXPECT_EQ(response->text(), "abc");
  EXPECT_EQ(response->usage().prompt_tokens(), 9);
  EXPECT_EQ(response->usage().completion_tokens(), 3);
  EXPECT_FALSE(response->usage_estimated());
  auto body = server_->requests()[0].body;
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
}

TEST_F(OpenAIBackendTest, StreamWithoutUsageChunkIsEstimatedAndSaysSo) {
  server_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"a", "b", "c"}, 9, 3, true, false)));
  CollectingSink sink;
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->usage_estimated());
  EXPECT_EQ(response->usage().completion_tokens(), 3);
  EXPECT_EQ(response->usage().prompt_tokens(), (18 + 3) / 4);  // 18 bytes of prompt.
}

TEST_F(OpenAIBackendTest, StreamCutOffMidwayIsUnavailableAndNotRetried) {
  FakeReply cut = FakeReply::Stream(ChatCompletionChunks({"a", "b", "c", "d"}, 9, 4, true, true));
  cut.events.resize(3);  // Role chunk, "a", "b"; then the connection drops.
  cut.cut_off = true;
  server_->Enqueue(cut);
  server_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"x"}, 9, 1, true, true)));
  CollectingSink sink;
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(sink.text, "ab");
  EXPECT_EQ(server_->calls(), 1) << "retried after part of the stream was passed on";
}

TEST_F(OpenAIBackendTest, StreamCutOffBeforeAnyTextIsRetried) {
  FakeReply cut = FakeReply::Stream(ChatCompletionChunks({"a"}, 9, 1, true, true));
  cut.events.resize(1);  // Only the role chunk: nothing passed on yet.
  cut.cut_off = true;
  server_->Enqueue(cut);
  server_->Enqueue(FakeReply::Stream(ChatCompletionChunks({"x", "y"}, 9, 2, true, true)));
  CollectingSink sink;
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(sink.text, "xy");
  EXPECT_EQ(server_->calls(), 2);
}

TEST_F(OpenAIBackendTest, UpstreamSlowerThanTheDeadlineIsDeadlineExceeded) {
  FakeReply slow = FakeReply::Json(ChatCompletionJson({"late"}, 1, 1, true));
  slow.delay = absl::Seconds(10);
  server_->Enqueue(slow);
  absl::Time start = absl::Now();
  auto response = Backend()->Complete(Hello(), Context(absl::Milliseconds(300)), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(server_->calls(), 1);
}

TEST_F(OpenAIBackendTest, ConnectErrorsAreUnavailableAndRetried) {
  std::string closed_url = server_->base_url();
  server_.reset();  // Nothing listens on that port any more.
  OpenAIBackendOptions options;
  options.base_url = closed_url;
  options.model = "m";
  options.api_key = kApiKey;
  options.clock = &clock_;
  options.random = &random_;
  auto response = OpenAIBackend(options).Complete(Hello(), Context(), nullptr);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("cannot connect"));
  EXPECT_EQ(retry_reasons_, (std::vector<std::string>{"connect_error", "connect_error"}));
}

TEST_F(OpenAIBackendTest, ConnectionsAreReused) {
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"one"}, 1, 1, false)));
  auto backend = Backend();
  ASSERT_TRUE(backend->Complete(Hello(), Context(), nullptr).ok());
  ASSERT_TRUE(backend->Complete(Hello(), Context(), nullptr).ok());
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].remote_port, requests[1].remote_port);
}

TEST_F(OpenAIBackendTest, CancellationAbortsTheUpstreamConnection) {
  FakeReply hang = FakeReply::Stream(ChatCompletionChunks({"a"}, 1, 1, true, true));
  hang.events.resize(2);
  hang.hang = true;
  server_->Enqueue(hang);
  CollectingSink sink;
  std::thread canceller([this] {
    cascade::testing::PollUntil([this] { return server_->calls() > 0; }, std::chrono::seconds(10));
    cancel_.Cancel();
  });
  absl::Time start = absl::Now();
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  canceller.join();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(server_->WaitForDisconnects(1, absl::Seconds(10)))
      << "the upstream never saw the connection close";
}

TEST_F(OpenAIBackendTest, ACallerThatGoesAwayMidStreamStopsTheUpstream) {
  FakeReply hang = FakeReply::Stream(ChatCompletionChunks({"a", "b"}, 1, 2, true, true));
  hang.events.resize(3);
  hang.hang = true;
  server_->Enqueue(hang);
  CollectingSink sink;
  sink.refuse_after = 1;
  auto response = Backend()->Complete(Hello(), Context(), &sink);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.deltas, 1);
  EXPECT_TRUE(server_->WaitForDisconnects(1, absl::Seconds(10)));
}

TEST_F(OpenAIBackendTest, ApiKeyNeverAppearsInErrorsOrLogs) {
  // An upstream that echoes the key it was given, in a retried error and a final one.
  server_->Enqueue(FakeReply::Error(500, std::string("internal error for key ") + kApiKey));
  server_->Enqueue(FakeReply::Error(401, std::string("Incorrect API key provided: ") + kApiKey));
  prometheus::Registry registry;
  TierWorkerOptions options;
  options.tier = "small";
  options.price = {1, 1};
  TierWorker worker(options, Backend(), &registry);
  ::testing::internal::CaptureStderr();
  auto response = worker.Complete(Hello(), Context(), nullptr);
  std::string logs = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(response.status().message()), Not(HasSubstr(kApiKey)));
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("[redacted]"));
  EXPECT_THAT(logs, HasSubstr("upstream_retry"));
  EXPECT_THAT(logs, HasSubstr("tier_call_failed"));
  EXPECT_THAT(logs, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(logs, Not(HasSubstr("sk-test")));
}

// The self-check over the OpenAI wire: the second call asks for one token with its top
// logprobs, and P(yes) is read from the alternatives the upstream returned.
TEST_F(OpenAIBackendTest, SelfCheckAsksForOneTokenAndReadsItsTopLogprobs) {
  server_->Enqueue(FakeReply::Json(ChatCompletionJson({"Hel", "lo", "!"}, 12, 3, true)));
  server_->Enqueue(FakeReply::Json(nlohmann::json::parse(R"({
    "id": "chatcmpl-2", "object": "chat.completion", "model": "fake-model-2025",
    "choices": [{"index": 0, "finish_reason": "length",
      "message": {"role": "assistant", "content": "YES"},
      "logprobs": {"content": [{"token": "YES", "logprob": -0.1,
        "top_logprobs": [{"token": "YES", "logprob": -0.1}, {"token": "NO", "logprob": -2.4},
                         {"token": "Yes", "logprob": -4.0}]}]}}],
    "usage": {"prompt_tokens": 50, "completion_tokens": 1, "total_tokens": 51}})")));
  TierWorkerOptions options;
  options.tier = "small";
  options.price = ModelPrice{100'000, 400'000};
  prometheus::Registry registry;
  TierWorker worker(options, Backend(), &registry);
  CompleteRequest request = Hello();
  request.set_self_check(true);
  auto response = worker.Complete(request, Context());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "Hello!");
  const double yes = std::exp(-0.1) + std::exp(-4.0);
  EXPECT_NEAR(response->self_check().p_yes(), yes / (yes + std::exp(-2.4)), 1e-12);
  EXPECT_EQ(response->self_check().source(), "logprobs");
  EXPECT_EQ(response->self_check().cost_pusd(), 50 * 100'000 + 1 * 400'000);
  EXPECT_EQ(response->cost_pusd(), 12 * 100'000 + 3 * 400'000 + 50 * 100'000 + 1 * 400'000);

  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  const nlohmann::json& check = requests[1].body;
  EXPECT_EQ(check["max_tokens"], 1);
  EXPECT_EQ(check["logprobs"], true);
  EXPECT_EQ(check["top_logprobs"], 20);
  ASSERT_EQ(check["messages"].size(), 1u);
  EXPECT_THAT(check["messages"][0]["content"].get<std::string>(),
              HasSubstr("Proposed answer: Hello!"));
}

}  // namespace
}  // namespace cascade::tier_worker
