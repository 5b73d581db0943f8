// cascade-orchestrator as deployed: the real binary over two real cascade-tier-worker
// processes (small, large), each fronting a scripted fake OpenAI upstream in this process,
// plus the real cascade-router, the real cascade-judge or a fake Judge where a test needs
// them. Every call goes over gRPC on loopback, port 0.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include "absl/time/clock.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "tests/integration/orchestrator/orchestrator_suite.h"
#include "tests/support/poll.h"
#include "tests/support/temp_config.h"

namespace cascade::orchestrator {
namespace {

using cascade::testing::PollUntil;
using cascade::testing::ServerProcess;
using ::testing::HasSubstr;
using tier_worker::testing::ChatCompletionChunks;
using tier_worker::testing::ChatCompletionJson;
using tier_worker::testing::FakeOpenAIServer;
using tier_worker::testing::FakeReply;
using namespace testing;  // NOLINT: the suite's helpers.

// Pico-USD per token: small 0.10 / 0.40, large 2.50 / 10.00 USD per million tokens.
constexpr int64_t kSmallIn = 100'000;
constexpr int64_t kSmallOut = 400'000;
constexpr int64_t kLargeIn = 2'500'000;
constexpr int64_t kLargeOut = 10'000'000;

// The fake's token i has logprob -0.5 * (i + 1): two tokens average -0.75 (accepted by
// min -1.0), four average -1.25 (rejected).
FakeReply Confident() { return FakeReply::Json(ChatCompletionJson({"Hi", "!"}, 7, 2, true)); }
FakeReply Unsure() {
  return FakeReply::Json(ChatCompletionJson({"Maybe", " it", " is", " so"}, 7, 4, true));
}
FakeReply LargeAnswer() {
  return FakeReply::Json(ChatCompletionJson({"The", " answer"}, 7, 2, true));
}

class OrchestratorIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    small_upstream_ = FakeOpenAIServer::Start();
    large_upstream_ = FakeOpenAIServer::Start();
    auto small = StartTierWorker("small", small_upstream_->base_url(), "0.10", "0.40");
    ASSERT_TRUE(small.ok()) << small.status();
    small_ = *std::move(small);
    auto large = StartTierWorker("large", large_upstream_->base_url(), "2.50", "10.00");
    ASSERT_TRUE(large.ok()) << large.status();
    large_ = *std::move(large);
  }

  // Tiers small and large; small accepts at a mean logprob of -1.0 unless `small_accept`
  // says otherwise. `extra` is appended to the config.
  void StartCascade(const std::string& extra = "",
                    const std::string& small_accept = "{logprob: {aggregate: mean, min: -1.0}}",
                    const std::string& small_address = "") {
    std::string yaml = "tiers:\n  - name: small\n    endpoint: {address: \"" +
                       (small_address.empty() ? small_->grpc_address() : small_address) +
                       "\"}\n  - name: large\n    endpoint: {address: \"" + large_->grpc_address() +
                       "\"}\npolicies:\n  - name: default\n    tiers:\n      - tier: small\n"
                       "        accept: " +
                       small_accept + "\n      - tier: large\n" + extra;
    auto orchestrator = StartOrchestrator(yaml);
    ASSERT_TRUE(orchestrator.ok()) << orchestrator.status();
    orchestrator_ = *std::move(orchestrator);
    stub_ = v1::Cascade::NewStub(
        grpc::CreateChannel(orchestrator_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Call(const v1::CascadeRequest& request, v1::CascadeResponse* response,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    return stub_->Complete(&context, request, response);
  }

  // A StreamComplete started at large (the last tier, so its tokens stream live) whose
  // upstream sends one token and then hangs until `context` is cancelled.
  std::unique_ptr<grpc::ClientReader<v1::CascadeChunk>> StartHangingStream(
      grpc::ClientContext* context) {
    FakeReply hang = FakeReply::Stream(ChatCompletionChunks({"a", "b"}, 7, 2, true, true));
    hang.events.resize(2);
    hang.hang = true;
    large_upstream_->Enqueue(hang);
    v1::CascadeRequest request = Ask("hello");
    request.set_start_tier("large");
    return stub_->StreamComplete(context, request);
  }

  std::unique_ptr<FakeOpenAIServer> small_upstream_;
  std::unique_ptr<FakeOpenAIServer> large_upstream_;
  std::unique_ptr<ServerProcess> small_;
  std::unique_ptr<ServerProcess> large_;
  std::unique_ptr<ServerProcess> orchestrator_;
  std::unique_ptr<v1::Cascade::Stub> stub_;
};

TEST_F(OrchestratorIntegrationTest, AcceptedAtTierOneWithExactCostAndBaseline) {
  StartCascade();
  small_upstream_->Enqueue(Confident());
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("hello"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.answer(), "Hi!");
  EXPECT_EQ(response.final_tier(), "small");
  ASSERT_EQ(response.steps_size(), 1);
  EXPECT_TRUE(response.steps(0).accepted());
  EXPECT_EQ(response.steps(0).method(), "logprob:mean");
  EXPECT_EQ(response.cost_pusd(), 7 * kSmallIn + 2 * kSmallOut);
  EXPECT_EQ(response.baseline_cost_pusd(), 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_EQ(response.savings_pusd(), 7 * (kLargeIn - kSmallIn) + 2 * (kLargeOut - kSmallOut));
  EXPECT_EQ(large_upstream_->calls(), 0);
  // The logprob rule asked the upstream for logprobs.
  EXPECT_EQ(small_upstream_->requests()[0].body.value("logprobs", false), true);
  std::string metrics = MetricsOf(*orchestrator_);
  EXPECT_THAT(metrics, HasSubstr("cascade_requests_total{final_tier=\"small\",outcome=\"ok\","
                                 "policy=\"default\",route=\"none\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("cascade_request_cost_usd_total{policy=\"default\",route=\"none\"}"));
  EXPECT_THAT(metrics, HasSubstr("cascade_request_baseline_cost_usd_total{policy=\"default\","
                                 "route=\"none\"}"));
  EXPECT_THAT(metrics, HasSubstr("cascade_tier_attempts_total{outcome=\"accepted\","
                                 "policy=\"default\",tier=\"small\"} 1"));
  EXPECT_TRUE(
      orchestrator_->WaitForStderr("\"event\":\"cascade_request\"", std::chrono::seconds(5)));
}

TEST_F(OrchestratorIntegrationTest, EscalatesOnLowLogprobConfidenceWithExactCost) {
  StartCascade();
  small_upstream_->Enqueue(Unsure());
  large_upstream_->Enqueue(LargeAnswer());
  v1::CascadeRequest request = Ask("a hard question");
  request.set_tenant("acme");
  v1::CascadeResponse response;
  grpc::Status status = Call(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.answer(), "The answer");
  EXPECT_EQ(response.final_tier(), "large");
  ASSERT_EQ(response.steps_size(), 2);
  EXPECT_FALSE(response.steps(0).accepted());
  EXPECT_NEAR(response.steps(0).confidence(), std::exp(-1.25), 1e-9);
  EXPECT_EQ(response.steps(0).cost_pusd(), 7 * kSmallIn + 4 * kSmallOut);
  EXPECT_EQ(response.steps(1).cost_pusd(), 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_EQ(response.cost_pusd(), 7 * kSmallIn + 4 * kSmallOut + 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_EQ(response.baseline_cost_pusd(), 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_EQ(response.savings_pusd(), -(7 * kSmallIn + 4 * kSmallOut));
  EXPECT_THAT(MetricsOf(*orchestrator_),
              HasSubstr("cascade_escalations_total{from_tier=\"small\",policy=\"default\","
                        "reason=\"low_confidence\",to_tier=\"large\"} 1"));
  // The tenant is in the request's log line, never in a metric.
  EXPECT_TRUE(orchestrator_->WaitForStderr("\"tenant\":\"acme\"", std::chrono::seconds(5)));
  EXPECT_THAT(MetricsOf(*orchestrator_), ::testing::Not(HasSubstr("acme")));
}

TEST_F(OrchestratorIntegrationTest, EscalatesOnTheJudgeAndCountsItsCost) {
  auto judge = FakeJudge::Start(0.2, 5000);
  StartCascade("judge: {address: \"" + judge->address() + "\"}\n", "{judge: {min: 0.7}}");
  small_upstream_->Enqueue(Confident());
  large_upstream_->Enqueue(LargeAnswer());
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("judge me"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.final_tier(), "large");
  EXPECT_EQ(response.steps(0).method(), "judge");
  EXPECT_DOUBLE_EQ(response.steps(0).confidence(), 0.2);
  EXPECT_EQ(response.steps(0).cost_pusd(), 7 * kSmallIn + 2 * kSmallOut + 5000);
  EXPECT_EQ(response.cost_pusd(),
            7 * kSmallIn + 2 * kSmallOut + 5000 + 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_EQ(judge->calls(), 1);
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("reason=\"judge\""));
}

// The answer cache's verification call through the real cascade-judge, whose llm method asks
// the large tier worker (its upstream scripted Yes, then No): a verified semantic hit is
// served at the judge's cost; a refused one climbs as a miss that pays for the judge.
TEST_F(OrchestratorIntegrationTest, ASemanticCacheHitIsServedOnlyWhenTheRealJudgeVerifiesIt) {
  auto judge = ServerProcess::Start(
      Bin("cascade-judge"),
      {"--config", cascade::testing::WriteTempConfig(
                       "judge.yaml", "server:\n  drain_delay: 0s\nllm_tier:\n  address: " +
                                         large_->grpc_address() + "\n")});
  ASSERT_TRUE(judge.ok()) << judge.status();
  StartCascade(
      "    cache: {enabled: true, semantic: true, similarity_threshold: 0.8, "
      "verify: {min: 0.5}}\njudge: {address: \"" +
      (*judge)->grpc_address() + "\"}\n");
  const int64_t small_cost = 7 * kSmallIn + 2 * kSmallOut;
  const int64_t judge_cost = 31 * kLargeIn + 1 * kLargeOut;
  small_upstream_->Enqueue(Confident());
  v1::CascadeResponse first;
  ASSERT_TRUE(Call(Ask("How many days are in 3 weeks?"), &first).ok());
  ASSERT_FALSE(first.has_cache());

  large_upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"Yes"}, 31, 1, false)));
  v1::CascadeResponse verified;
  grpc::Status status = Call(Ask("how many days are in 3 weeks"), &verified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(verified.has_cache());
  EXPECT_EQ(verified.cache().kind(), "semantic");
  EXPECT_EQ(verified.answer(), "Hi!");
  EXPECT_DOUBLE_EQ(verified.cache().verification_score(), 1.0);
  EXPECT_EQ(verified.cache().verification_cost_pusd(), judge_cost);
  EXPECT_EQ(verified.cost_pusd(), judge_cost);
  // The judge's model read the new question and the kept answer.
  ASSERT_EQ(large_upstream_->requests().size(), 1u);
  const std::string asked = large_upstream_->requests()[0].body["messages"].dump();
  EXPECT_THAT(asked, HasSubstr("how many days are in 3 weeks"));
  EXPECT_THAT(asked, HasSubstr("Hi!"));

  large_upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"No"}, 31, 1, false)));
  small_upstream_->Enqueue(Confident());
  v1::CascadeResponse refused;
  status = Call(Ask("How many days are in 3 weeks"), &refused);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(refused.has_cache());
  EXPECT_EQ(refused.final_tier(), "small");
  EXPECT_EQ(refused.cost_pusd(), small_cost + judge_cost);
  EXPECT_EQ(small_upstream_->calls(), 2);

  const std::string metrics = MetricsOf(*orchestrator_);
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_lookups_total{outcome=\"semantic_hit\","
                                 "policy=\"default\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_rejections_total{guard=\"verification\","
                                 "policy=\"default\"} 1"));
}

TEST_F(OrchestratorIntegrationTest, TierOneDownIsServedByTierTwoWithTheErrorInTheTrace) {
  // Nothing listens on port 1.
  StartCascade("", "{logprob: {min: -1.0}}", "127.0.0.1:1");
  large_upstream_->Enqueue(LargeAnswer());
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("hello"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.final_tier(), "large");
  ASSERT_EQ(response.steps_size(), 2);
  EXPECT_THAT(response.steps(0).error(), HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(response.cost_pusd(), 7 * kLargeIn + 2 * kLargeOut);
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("reason=\"error\""));
}

TEST_F(OrchestratorIntegrationTest, CircuitBreakerOpensSkipsAndProbes) {
  StartCascade("circuit_breaker: {failures: 2, open_for: 300ms}\n");
  small_upstream_->Enqueue(FakeReply::Error(500, "upstream exploded"));
  large_upstream_->Enqueue(LargeAnswer());
  v1::CascadeResponse response;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Call(Ask("hello"), &response).ok());
    EXPECT_THAT(response.steps(0).error(), HasSubstr("upstream exploded"));
  }
  EXPECT_EQ(small_upstream_->calls(), 2);
  ASSERT_TRUE(Call(Ask("hello"), &response).ok());
  EXPECT_EQ(small_upstream_->calls(), 2);  // Skipped while open.
  EXPECT_THAT(response.steps(0).error(), HasSubstr("circuit open"));
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("cascade_tier_circuit_open{tier=\"small\"} 1"));
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("reason=\"circuit_open\""));
  // After open_for one request probes the tier; it answers, and the circuit closes.
  small_upstream_->Enqueue(Confident());
  EXPECT_TRUE(PollUntil(
      [&] { return Call(Ask("hello"), &response).ok() && response.final_tier() == "small"; },
      std::chrono::seconds(10)));
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("cascade_tier_circuit_open{tier=\"small\"} 0"));
}

TEST_F(OrchestratorIntegrationTest, BudgetReachedStopsAndSaysSo) {
  StartCascade();
  small_upstream_->Enqueue(Unsure());
  v1::CascadeRequest request = Ask("a hard question", 16);  // 15 bytes: 4 prompt tokens.
  // Small's expected cost fits; what is left after its actual cost does not cover large's.
  int64_t small_cost = 7 * kSmallIn + 4 * kSmallOut;
  request.set_budget_pusd(small_cost + 4 * kLargeIn + 16 * kLargeOut - 1);
  v1::CascadeResponse response;
  grpc::Status status = Call(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.final_tier(), "small");
  EXPECT_EQ(response.stopped_reason(), "budget");
  EXPECT_EQ(response.cost_pusd(), small_cost);
  EXPECT_EQ(large_upstream_->calls(), 0);
}

TEST_F(OrchestratorIntegrationTest, DeadlineIsHonoured) {
  StartCascade();
  FakeReply slow = Unsure();
  slow.delay = absl::Seconds(20);
  small_upstream_->Enqueue(slow);
  large_upstream_->Enqueue(slow);
  // A monotonic clock: the wall clock can be stepped while the test runs.
  const auto began = std::chrono::steady_clock::now();
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("hello"), &response, std::chrono::milliseconds(1500));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
}

TEST_F(OrchestratorIntegrationTest, ClientCancelCancelsDownstreamAtOnce) {
  StartCascade();
  grpc::ClientContext context;
  auto reader = StartHangingStream(&context);
  v1::CascadeChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));  // The first token arrived: the upstream is streaming.
  EXPECT_EQ(chunk.text(), "a");
  context.TryCancel();
  EXPECT_TRUE(large_upstream_->WaitForDisconnects(1, absl::Seconds(10)));
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(OrchestratorIntegrationTest, RequestsPastTheConcurrencyLimitAreRefusedAtOnce) {
  StartCascade("max_concurrent_requests: 1\n");
  grpc::ClientContext context;
  auto reader = StartHangingStream(&context);
  v1::CascadeChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));  // The one slot is held.

  absl::Time began = absl::Now();
  v1::CascadeResponse response;
  grpc::Status refused = Call(Ask("hello"), &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("max_concurrent_requests"));
  EXPECT_LT(absl::Now() - began, absl::Seconds(5));
  EXPECT_TRUE(
      orchestrator_->WaitForStderr("\"event\":\"request_refused\"", std::chrono::seconds(5)));
  EXPECT_THAT(MetricsOf(*orchestrator_),
              HasSubstr("cascade_grpc_server_requests_total{code=\"RESOURCE_EXHAUSTED\","
                        "method=\"Complete\",service=\"cascade.v1.Cascade\"} 1"));

  // The slot comes back when the call ends.
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  small_upstream_->Enqueue(Confident());
  grpc::Status status;
  ASSERT_TRUE(PollUntil(
      [&] {
        // Refused calls never reach the upstream, so the queued reply waits for the first
        // call admitted.
        status = Call(Ask("hello"), &response);
        return status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED;
      },
      std::chrono::seconds(10)));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(OrchestratorIntegrationTest, StreamsOnlyTheAcceptedTier) {
  StartCascade();
  small_upstream_->Enqueue(Unsure());
  large_upstream_->Enqueue(
      FakeReply::Stream(ChatCompletionChunks({"The", " answer"}, 7, 2, true, true)));
  grpc::ClientContext context;
  auto reader = stub_->StreamComplete(&context, Ask("hello"));
  v1::CascadeChunk chunk;
  std::string text;
  v1::CascadeResponse final_response;
  while (reader->Read(&chunk)) {
    text += chunk.text();
    if (chunk.has_final()) final_response = chunk.final();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(text, "The answer");           // Never "Maybe it is so".
  EXPECT_EQ(final_response.answer(), "");  // The deltas carried it.
  EXPECT_EQ(final_response.final_tier(), "large");
  EXPECT_EQ(final_response.steps_size(), 2);
}

class OrchestratorRoutingTest : public OrchestratorIntegrationTest {
 protected:
  void StartRouter() {
    std::string routes = cascade::testing::WriteTempConfig(
        "routes.yaml",
        "default: general\nroutes:\n"
        "  - name: math\n    utterances:\n      - solve this equation for x\n"
        "      - what is the integral of x squared\n      - compute the derivative of sin x\n"
        "    tier: large\n"
        "  - name: greetings\n    utterances:\n      - hello\n      - hi there\n"
        "      - good morning\n    start_tier: small\n");
    auto router = ServerProcess::Start(
        Bin("cascade-router"),
        {"--config", cascade::testing::WriteTempConfig(
                         "router.yaml", "server:\n  drain_delay: 0s\nroutes_file: " + routes +
                                            "\ndefault_threshold: 0.4\n")});
    ASSERT_TRUE(router.ok()) << router.status();
    router_ = *std::move(router);
  }
  std::unique_ptr<ServerProcess> router_;
};

TEST_F(OrchestratorRoutingTest, ARouteSendsStraightToTierTwo) {
  StartRouter();
  StartCascade("router: {address: \"" + router_->grpc_address() + "\"}\nrouter_timeout: 2s\n");
  large_upstream_->Enqueue(LargeAnswer());
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("solve this equation for x"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.route(), "math");
  EXPECT_EQ(response.final_tier(), "large");
  ASSERT_EQ(response.steps_size(), 1);
  EXPECT_EQ(response.steps(0).method(), "fixed");
  EXPECT_EQ(small_upstream_->calls(), 0);
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("route=\"math\""));
}

TEST_F(OrchestratorRoutingTest, RouterDownStillServes) {
  StartCascade("router: {address: \"127.0.0.1:1\"}\n");
  small_upstream_->Enqueue(Confident());
  v1::CascadeResponse response;
  grpc::Status status = Call(Ask("hello"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.final_tier(), "small");
  EXPECT_EQ(response.route(), "");
  EXPECT_THAT(MetricsOf(*orchestrator_), HasSubstr("route=\"router_unavailable\""));
  EXPECT_TRUE(orchestrator_->WaitForStderr("router_unavailable", std::chrono::seconds(5)));
}

TEST_F(OrchestratorIntegrationTest, BadRequestsAndBadConfigsSayWhatToFix) {
  StartCascade();
  v1::CascadeResponse response;
  v1::CascadeRequest request = Ask("hello");
  request.set_policy("gold");
  grpc::Status status = Call(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("policy 'gold'"));
  status = Call(v1::CascadeRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::string output;
  auto result = ServerProcess::RunToExit(
      Bin("cascade-orchestrator"),
      {"--config",
       cascade::testing::WriteTempConfig("bad.yaml",
                                         "tiers: [{name: a, endpoint: {address: x}}]\n"
                                         "policies: [{name: p, tiers: [{tier: b}]}]\n")},
      &output);
  EXPECT_TRUE(result.exited);
  EXPECT_EQ(result.code, 78);
  EXPECT_THAT(output, HasSubstr("policies[0].tiers[0].tier 'b' is not a configured tier"));
}

}  // namespace
}  // namespace cascade::orchestrator
