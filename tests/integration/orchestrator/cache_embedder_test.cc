// The answer cache with `answer_cache.openai_embedder`: the real cascade-orchestrator over a
// real tier worker, its semantic lookups embedded by a fake OpenAI-compatible embeddings
// server on loopback (bag-of-words vectors). A reordered question hits on the endpoint's
// vectors; when the endpoint fails, lookups and inserts are exact only, the request is
// answered by the cascade, and the failure is logged and counted.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>

#include "services/router/testing/fake_embeddings_server.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "tests/integration/orchestrator/orchestrator_suite.h"

namespace cascade::orchestrator {
namespace {

using router::testing::FakeEmbeddingsServer;
using ::testing::HasSubstr;
using tier_worker::testing::ChatCompletionJson;
using tier_worker::testing::FakeOpenAIServer;
using tier_worker::testing::FakeReply;
using namespace testing;  // NOLINT: the suite's helpers.

class CacheEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    embeddings_ = FakeEmbeddingsServer::Start(64);
    upstream_ = FakeOpenAIServer::Start();
    auto tier = StartTierWorker("small", upstream_->base_url(), "0.10", "0.40");
    ASSERT_TRUE(tier.ok()) << tier.status();
    tier_ = *std::move(tier);
    auto orchestrator = StartOrchestrator(
        "tiers:\n  - name: small\n    endpoint: {address: \"" + tier_->grpc_address() +
        "\"}\npolicies:\n  - name: default\n    cache: {enabled: true, semantic: true}\n"
        "    tiers: [{tier: small}]\nanswer_cache:\n  openai_embedder:\n    base_url: " +
        embeddings_->base_url() + "\n    model: embed-small\n    dimensions: 64\n");
    ASSERT_TRUE(orchestrator.ok()) << orchestrator.status();
    orchestrator_ = *std::move(orchestrator);
    stub_ = v1::Cascade::NewStub(
        grpc::CreateChannel(orchestrator_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  v1::CascadeResponse Complete(const std::string& question) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::CascadeResponse response;
    grpc::Status status = stub_->Complete(&context, Ask(question), &response);
    EXPECT_TRUE(status.ok()) << question << ": " << status.error_message();
    return response;
  }

  void EnqueueAnswer() {
    upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"Paris", "."}, 7, 2, true)));
  }

  std::unique_ptr<FakeEmbeddingsServer> embeddings_;
  std::unique_ptr<FakeOpenAIServer> upstream_;
  std::unique_ptr<cascade::testing::ServerProcess> tier_;
  std::unique_ptr<cascade::testing::ServerProcess> orchestrator_;
  std::unique_ptr<v1::Cascade::Stub> stub_;
};

TEST_F(CacheEmbedderTest, SemanticLookupsUseTheEndpointAndGoExactWhenItFails) {
  EnqueueAnswer();
  EXPECT_FALSE(Complete("what is the capital of france").has_cache());
  ASSERT_GE(embeddings_->calls(), 1);
  EXPECT_EQ(embeddings_->requests().front()["input"][0], "what is the capital of france");
  EXPECT_EQ(embeddings_->requests().front()["model"], "embed-small");

  // The same words in another order: the endpoint's vector is the same one.
  const v1::CascadeResponse reordered = Complete("the capital of france is what");
  ASSERT_TRUE(reordered.has_cache());
  EXPECT_EQ(reordered.cache().kind(), "semantic");
  EXPECT_NEAR(reordered.cache().similarity(), 1.0, 1e-4);
  EXPECT_EQ(reordered.answer(), "Paris.");
  EXPECT_EQ(upstream_->calls(), 1);

  // The endpoint fails: a new question is looked up (and kept) exactly, and answered.
  embeddings_->FailNext(-1, 503);
  EnqueueAnswer();
  const v1::CascadeResponse unembedded = Complete("france capital is what");
  EXPECT_FALSE(unembedded.has_cache());
  EXPECT_EQ(unembedded.answer(), "Paris.");
  EXPECT_EQ(upstream_->calls(), 2);
  // Its exact repeat is still a hit.
  const v1::CascadeResponse repeated = Complete("france capital is what");
  ASSERT_TRUE(repeated.has_cache());
  EXPECT_EQ(repeated.cache().kind(), "exact");
  EXPECT_EQ(upstream_->calls(), 2);

  EXPECT_TRUE(
      orchestrator_->WaitForStderr("answer_cache_embedding_failed", std::chrono::seconds(5)));
  const std::string metrics = MetricsOf(*orchestrator_);
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_embedding_errors_total{policy=\"default\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_lookups_total{outcome=\"semantic_hit\","
                                 "policy=\"default\"} 1"));
}

}  // namespace
}  // namespace cascade::orchestrator
