#include "services/tier_worker/tier_worker_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/config/config_loader.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::TierWorkerConfig;
using ::testing::HasSubstr;

TierWorkerConfig Parse(const std::string& yaml) {
  TierWorkerConfig config;
  absl::Status status = ParseConfigYaml(yaml, "tier.yaml", &config);
  EXPECT_TRUE(status.ok()) << status;
  return config;
}

absl::Status BuildStatus(const std::string& yaml) {
  prometheus::Registry registry;
  return BuildTierWorker(Parse(yaml), &registry).status();
}

TEST(TierWorkerConfigTest, BuiltinPriceForAKnownModel) {
  prometheus::Registry registry;
  auto worker = BuildTierWorker(Parse("tier: small\nopenai:\n  base_url: http://127.0.0.1:9/v1\n"
                                      "  model: gpt-4o-mini\n"),
                                &registry);
  ASSERT_TRUE(worker.ok()) << worker.status();
  auto description = (*worker)->Describe();
  EXPECT_EQ(description.tier(), "small");
  EXPECT_EQ(description.model(), "gpt-4o-mini");
  EXPECT_EQ(description.backend(), "openai");
  EXPECT_EQ(description.input_price_uusd_per_mtok(), 150000);
  EXPECT_EQ(description.output_price_uusd_per_mtok(), 600000);
  EXPECT_TRUE(description.supports_logprobs());
}

TEST(TierWorkerConfigTest, UnknownPriceIsAConfigErrorNotAZero) {
  absl::Status status =
      BuildStatus("openai:\n  base_url: http://127.0.0.1:9/v1\n  model: my-local-model\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("no price for model 'my-local-model'"));
}

TEST(TierWorkerConfigTest, ConfigPriceOverridesAndMustBeComplete) {
  prometheus::Registry registry;
  auto worker =
      BuildTierWorker(Parse("openai:\n  base_url: http://127.0.0.1:9/v1\n  model: gpt-4o-mini\n"
                            "  supports_logprobs: false\nprice:\n  input_usd_per_mtok: 0\n"
                            "  output_usd_per_mtok: 1.25\n"),
                      &registry);
  ASSERT_TRUE(worker.ok()) << worker.status();
  EXPECT_EQ((*worker)->Describe().input_price_uusd_per_mtok(), 0);
  EXPECT_EQ((*worker)->Describe().output_price_uusd_per_mtok(), 1250000);
  EXPECT_FALSE((*worker)->Describe().supports_logprobs());

  absl::Status half = BuildStatus(
      "openai:\n  base_url: http://127.0.0.1:9/v1\n  model: m\nprice:\n  input_usd_per_mtok: 1\n");
  EXPECT_THAT(half.message(), HasSubstr("set both"));
  absl::Status fine = BuildStatus(
      "openai:\n  base_url: http://127.0.0.1:9/v1\n  model: m\nprice:\n"
      "  input_usd_per_mtok: 0.0000001\n  output_usd_per_mtok: 1\n");
  EXPECT_THAT(fine.message(), HasSubstr("price.input_usd_per_mtok"));
}

TEST(TierWorkerConfigTest, PriceTableFile) {
  std::string path = ::testing::TempDir() + "/tier_prices.json";
  std::ofstream(path) << R"({"as_of":"2030-01-01","models":{"mine":{"input_usd_per_mtok":3,)"
                      << R"("output_usd_per_mtok":4}}})";
  prometheus::Registry registry;
  auto worker = BuildTierWorker(Parse("openai:\n  base_url: http://127.0.0.1:9/v1\n  model: mine\n"
                                      "price_table_file: " +
                                      path + "\n"),
                                &registry);
  ASSERT_TRUE(worker.ok()) << worker.status();
  EXPECT_EQ((*worker)->Describe().output_price_uusd_per_mtok(), 4000000);
}

TEST(TierWorkerConfigTest, InvalidValuesAreNamed) {
  const std::string backend = "openai:\n  base_url: http://127.0.0.1:9/v1\n  model: gpt-4o-mini\n";
  EXPECT_THAT(BuildStatus("openai:\n  base_url: ftp://x\n  model: gpt-4o-mini\n").message(),
              HasSubstr("openai.base_url"));
  EXPECT_THAT(BuildStatus(backend + "retry:\n  max_retries: -1\n").message(),
              HasSubstr("retry.max_retries"));
  EXPECT_THAT(BuildStatus(backend + "retry:\n  initial_backoff: 2s\n  max_backoff: 1s\n").message(),
              HasSubstr("retry.max_backoff"));
  EXPECT_THAT(BuildStatus(backend + "max_concurrency: -3\n").message(),
              HasSubstr("max_concurrency"));
  EXPECT_THAT(BuildStatus(backend + "limits:\n  max_messages: -1\n").message(),
              HasSubstr("limits.max_messages"));
  EXPECT_THAT(BuildStatus("tier: x\n").message(), HasSubstr("no backend"));
}

TEST(TierWorkerConfigTest, RetryDefaultsAndExplicitZero) {
  auto defaults = RetryOptionsFromConfig(cascade::v1::RetryConfig());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_retries, 2);
  EXPECT_EQ(defaults->initial_backoff, absl::Milliseconds(100));
  EXPECT_EQ(defaults->max_backoff, absl::Seconds(2));
  auto none = RetryOptionsFromConfig(Parse("retry:\n  max_retries: 0\n").retry());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->max_retries, 0);
}

TEST(TierWorkerConfigTest, ApiKeyComesFromTheNamedVariable) {
  setenv("CASCADE_TIER_TEST_KEY", "sk-config-test", 1);
  prometheus::Registry registry;
  auto worker =
      BuildTierWorker(Parse("openai:\n  base_url: http://127.0.0.1:9/v1\n  model: gpt-4o\n"
                            "  api_key_env: CASCADE_TIER_TEST_KEY\n"),
                      &registry);
  EXPECT_TRUE(worker.ok()) << worker.status();
  unsetenv("CASCADE_TIER_TEST_KEY");
}

TEST(TierWorkerConfigTest, InferenceBackendUsesItsEndpointTimeout) {
  TierWorkerConfig config = Parse(
      "inference:\n  endpoint:\n    address: 127.0.0.1:9\n    timeout: 7s\n  model: bard\n"
      "price:\n  input_usd_per_mtok: 0.01\n  output_usd_per_mtok: 0.02\n");
  EXPECT_EQ(DefaultTimeout(config), absl::Seconds(7));
  prometheus::Registry registry;
  auto worker = BuildTierWorker(config, &registry);
  ASSERT_TRUE(worker.ok()) << worker.status();
  EXPECT_EQ((*worker)->Describe().backend(), "inference");
  EXPECT_EQ((*worker)->Describe().input_price_uusd_per_mtok(), 10000);
}

}  // namespace
}  // namespace cascade::tier_worker
