// The `openai` embedder against a fake OpenAI-compatible embeddings server on loopback:
// batching, order, dimension learning and checking, the LRU cache, retries (on a fake clock:
// no waiting), the errors a caller sees, and the router's degraded modes on top of it.

#include "services/router/lib/openai_embedder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/http/testing/fake_clock.h"
#include "services/router/lib/route_set_yaml.h"
#include "services/router/lib/router.h"
#include "services/router/router_options.h"
#include "services/router/testing/fake_embeddings_server.h"

namespace cascade::router {
namespace {

using testing::FakeEmbeddingsServer;
using ::testing::HasSubstr;

class OpenAIEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = FakeEmbeddingsServer::Start(64); }

  OpenAIEmbedderOptions Options() {
    OpenAIEmbedderOptions options;
    options.base_url = server_->base_url();
    options.model = "embed-small";
    options.batch_size = 4;
    options.clock = &clock_;
    options.random = &random_;
    options.on_retry = [this](http::RetryReason) { ++retries_; };
    return options;
  }

  std::shared_ptr<OpenAIEmbedder> Make(const OpenAIEmbedderOptions& options) {
    absl::StatusOr<std::shared_ptr<OpenAIEmbedder>> embedder = OpenAIEmbedder::Create(options);
    EXPECT_TRUE(embedder.ok()) << embedder.status();
    return *embedder;
  }

  static std::vector<float> Normalized(std::vector<float> v) {
    double squared = 0;
    for (float x : v) squared += double{x} * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(squared));
    return v;
  }

  std::unique_ptr<FakeEmbeddingsServer> server_;
  http::testing::FakeClock clock_;
  http::testing::FixedRandom random_{{0.0}};
  int retries_ = 0;
};

TEST_F(OpenAIEmbedderTest, EmbedsInBatchesInOrderAndLearnsTheDimension) {
  auto embedder = Make(Options());
  EXPECT_EQ(embedder->dimension(), 0u);
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i) texts.push_back("text number " + std::to_string(i));
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(texts);
  ASSERT_TRUE(embeddings.ok()) << embeddings.status();
  EXPECT_EQ(embedder->dimension(), 64u);
  EXPECT_EQ(embeddings->dimension, 64u);
  ASSERT_EQ(embeddings->rows(), 10u);
  EXPECT_TRUE(embeddings->sparse.empty());
  // 10 texts in batches of 4: three requests of 4, 4 and 2 inputs, with the model named.
  std::vector<nlohmann::json> requests = server_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]["input"].size(), 4u);
  EXPECT_EQ(requests[2]["input"].size(), 2u);
  EXPECT_EQ(requests[0]["model"], "embed-small");
  EXPECT_FALSE(requests[0].contains("dimensions"));
  // The fake answers in reverse order with indexes; rows follow the inputs, normalised.
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> expected = Normalized(FakeEmbeddingsServer::VectorOf(texts[i], 64));
    for (size_t d = 0; d < 64; ++d) {
      ASSERT_NEAR(embeddings->row(i)[d], expected[d], 1e-6) << "row " << i << " dim " << d;
    }
  }
}

TEST_F(OpenAIEmbedderTest, QueriesComeFromTheLruCache) {
  OpenAIEmbedderOptions options = Options();
  options.cache_size = 2;
  auto embedder = Make(options);
  const std::vector<std::string> q1 = {"hello there"}, q2 = {"good morning"}, q3 = {"bye now"};
  ASSERT_TRUE(embedder->Embed(q1).ok());
  absl::StatusOr<Embeddings> again = embedder->Embed(q1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(server_->calls(), 1);  // Second one cached.
  EXPECT_NEAR(again->row(0)[0], Normalized(FakeEmbeddingsServer::VectorOf(q1[0], 64))[0], 1e-6);
  ASSERT_TRUE(embedder->Embed(q2).ok());
  ASSERT_TRUE(embedder->Embed(q1).ok());  // Refreshes q1: q2 is now the oldest.
  ASSERT_TRUE(embedder->Embed(q3).ok());  // Evicts q2.
  EXPECT_EQ(server_->calls(), 3);
  ASSERT_TRUE(embedder->Embed(q1).ok());
  EXPECT_EQ(server_->calls(), 3);
  ASSERT_TRUE(embedder->Embed(q2).ok());
  EXPECT_EQ(server_->calls(), 4);
}

TEST_F(OpenAIEmbedderTest, CacheOffAsksEveryTime) {
  OpenAIEmbedderOptions options = Options();
  options.cache_size = 0;
  auto embedder = Make(options);
  const std::vector<std::string> query = {"hello there"};
  ASSERT_TRUE(embedder->Embed(query).ok());
  ASSERT_TRUE(embedder->Embed(query).ok());
  EXPECT_EQ(server_->calls(), 2);
}

TEST_F(OpenAIEmbedderTest, RetriesServerErrorsWithBackoff) {
  server_->FailNext(2, 503);
  auto embedder = Make(Options());
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_TRUE(embeddings.ok()) << embeddings.status();
  EXPECT_EQ(server_->calls(), 3);
  EXPECT_EQ(retries_, 2);
  EXPECT_EQ(clock_.sleeps().size(), 2u);
}

TEST_F(OpenAIEmbedderTest, EndpointFailingIsUnavailableAfterRetries) {
  server_->FailNext(-1, 503);
  auto embedder = Make(Options());
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(embeddings.ok());
  EXPECT_EQ(embeddings.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(embeddings.status().message(), HasSubstr("/v1/embeddings answered HTTP 503"));
  EXPECT_THAT(embeddings.status().message(), HasSubstr("after 2 retries"));
  EXPECT_EQ(server_->calls(), 3);
}

TEST_F(OpenAIEmbedderTest, EndpointDownIsUnavailable) {
  OpenAIEmbedderOptions options = Options();
  const std::string url = server_->base_url();
  server_.reset();  // Nothing listens on that port now.
  options.base_url = url;
  options.retry.max_retries = 1;
  auto embedder = Make(options);
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(embeddings.ok());
  EXPECT_EQ(embeddings.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(embeddings.status().message(), HasSubstr("cannot connect to the embedding endpoint"));
  EXPECT_EQ(retries_, 1);
}

TEST_F(OpenAIEmbedderTest, ClientErrorsAreNotRetriedAndTheKeyIsSentButNeverShown) {
  server_->FailNext(1, 401);
  OpenAIEmbedderOptions options = Options();
  options.api_key = "sk-secret";
  auto embedder = Make(options);
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(embeddings.ok());
  EXPECT_EQ(embeddings.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(embeddings.status().message(), ::testing::Not(HasSubstr("sk-secret")));
  EXPECT_EQ(server_->calls(), 1);
}

TEST_F(OpenAIEmbedderTest, ConfiguredDimensionIsRequestedAndChecked) {
  OpenAIEmbedderOptions options = Options();
  options.dimensions = 32;
  auto embedder = Make(options);
  EXPECT_EQ(embedder->dimension(), 32u);
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(embeddings.ok());  // The fake ignores `dimensions` and answers 64.
  EXPECT_EQ(embeddings.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(embeddings.status().message(), HasSubstr("64 dimensions, expected 32"));
  EXPECT_EQ(server_->requests()[0]["dimensions"], 32);
}

TEST_F(OpenAIEmbedderTest, DimensionChangingLaterIsAnError) {
  auto embedder = Make(Options());
  ASSERT_TRUE(embedder->Embed(std::vector<std::string>{"first"}).ok());
  server_->SetDimension(16);
  absl::StatusOr<Embeddings> embeddings = embedder->Embed(std::vector<std::string>{"second"});
  ASSERT_FALSE(embeddings.ok());
  EXPECT_THAT(embeddings.status().message(), HasSubstr("16 dimensions, expected 64"));
}

TEST_F(OpenAIEmbedderTest, CreateRejectsMissingFields) {
  OpenAIEmbedderOptions options = Options();
  options.model.clear();
  EXPECT_EQ(OpenAIEmbedder::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options();
  options.batch_size = 0;
  EXPECT_THAT(OpenAIEmbedder::Create(options).status().message(), HasSubstr("batch_size"));
}

constexpr char kRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances: [hello there, good morning, hi how are you]
    start_tier: small
  - name: code
    utterances: [write a python function, fix my rust code, why does my program crash]
    start_tier: large
)";

TEST_F(OpenAIEmbedderTest, RouterRoutesOnRemoteVectorsAndDegradesWhenTheEndpointFails) {
  OpenAIEmbedderOptions options = Options();
  options.retry.max_retries = 0;
  RouterOptions router_options;
  router_options.index.embedder = OpenAIEmbedder::Factory(Make(options));
  absl::StatusOr<RouteSet> routes = ParseRouteSetYaml(kRoutes, "test");
  ASSERT_TRUE(routes.ok()) << routes.status();
  absl::StatusOr<std::unique_ptr<Router>> router = Router::Create(*routes, router_options);
  ASSERT_TRUE(router.ok()) << router.status();
  EXPECT_EQ(server_->calls(), 2);  // Six exemplars in batches of four.
  EXPECT_EQ((*router)->Snapshot()->embedder_name(), "openai");

  absl::StatusOr<Decision> decision = (*router)->Route("write a python function please");
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->best_route, "code");

  // Endpoint down: queries fail with UNAVAILABLE; a rebuild fails and keeps the old index.
  server_->FailNext(-1, 503);
  absl::StatusOr<Decision> failed = (*router)->Route("good morning friend");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  absl::Status replaced = (*router)->Replace(*routes);
  EXPECT_EQ(replaced.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*router)->Snapshot()->exemplars(), 6u);
  // A cached query still routes while the endpoint is down.
  EXPECT_TRUE((*router)->Route("write a python function please").ok());

  server_->FailNext(0, 503);
  absl::StatusOr<Decision> recovered = (*router)->Route("good morning friend");
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ(recovered->best_route, "greetings");
}

TEST(OpenAIEmbedderConfigTest, ConfigIsValidated) {
  v1::RouterConfig config;
  config.set_embedder("openai");
  absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(config);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(options.status().message(), HasSubstr("needs an `openai_embedder` block"));

  config.mutable_openai_embedder()->set_base_url("http://127.0.0.1:1/v1");
  config.mutable_openai_embedder()->set_model("m");
  EXPECT_TRUE(RouterOptionsFromConfig(config).ok());

  config.mutable_openai_embedder()->set_batch_size(5000);
  EXPECT_THAT(RouterOptionsFromConfig(config).status().message(),
              HasSubstr("openai_embedder.batch_size 5000 is outside [1, 2048]"));
  config.mutable_openai_embedder()->set_batch_size(0);
  config.mutable_openai_embedder()->mutable_retry()->set_max_retries(11);
  EXPECT_THAT(RouterOptionsFromConfig(config).status().message(),
              HasSubstr("openai_embedder.retry.max_retries"));
  config.mutable_openai_embedder()->clear_retry();
  config.mutable_openai_embedder()->set_api_key_env("CASCADE_TEST_UNSET_EMBEDDINGS_KEY");
  EXPECT_EQ(RouterOptionsFromConfig(config).status().code(), absl::StatusCode::kFailedPrecondition);

  config.set_embedder("hashed");
  EXPECT_THAT(RouterOptionsFromConfig(config).status().message(),
              HasSubstr("openai_embedder is set but embedder is not `openai`"));
  config.clear_openai_embedder();
  config.set_embedder("bert");
  EXPECT_THAT(RouterOptionsFromConfig(config).status().message(), HasSubstr("hashed, openai"));
}

}  // namespace
}  // namespace cascade::router
