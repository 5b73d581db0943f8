// API keys from the environment and their checks (common/security/api_keys.h), and the
// client-side config mistakes ChannelFromConfig refuses before any connection.

#include "common/security/api_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/security/grpc_security.h"

namespace cascade {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ApiKeysTest, ReadsCommaAndNewlineSeparatedKeysTrimmed) {
  setenv("CASCADE_TEST_KEYS", " k1 ,k2\n\nk3 ,", 1);
  auto keys = ReadApiKeysFromEnv("CASCADE_TEST_KEYS", "server.api_keys_env");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, ElementsAre("k1", "k2", "k3"));
  unsetenv("CASCADE_TEST_KEYS");
}

TEST(ApiKeysTest, UnsetOrBlankVariableNamesTheFieldNeverAValue) {
  unsetenv("CASCADE_TEST_KEYS");
  auto unset = ReadApiKeysFromEnv("CASCADE_TEST_KEYS", "server.api_keys_env");
  EXPECT_EQ(unset.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unset.status().message(), HasSubstr("server.api_keys_env"));
  EXPECT_THAT(unset.status().message(), HasSubstr("CASCADE_TEST_KEYS"));

  setenv("CASCADE_TEST_KEYS", " , \n", 1);
  auto blank = ReadApiKeysFromEnv("CASCADE_TEST_KEYS", "http.api_keys_env");
  EXPECT_EQ(blank.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(blank.status().message(), HasSubstr("holds no key"));
  unsetenv("CASCADE_TEST_KEYS");
}

TEST(ApiKeysTest, BearerKeyTakesOnlyTheBearerForm) {
  EXPECT_EQ(BearerKey("Bearer abc"), "abc");
  EXPECT_EQ(BearerKey("Bearer  abc "), "abc");
  EXPECT_EQ(BearerKey("Basic abc"), "");
  EXPECT_EQ(BearerKey("abc"), "");
  EXPECT_EQ(BearerKey(""), "");
}

TEST(ApiKeysTest, AcceptsOnlyAnExactConfiguredKey) {
  const std::vector<std::string> keys = {"sk-one", "sk-two"};
  EXPECT_TRUE(ApiKeyAccepted(keys, "sk-one"));
  EXPECT_TRUE(ApiKeyAccepted(keys, "sk-two"));
  EXPECT_FALSE(ApiKeyAccepted(keys, "sk-on"));
  EXPECT_FALSE(ApiKeyAccepted(keys, "sk-one2"));
  EXPECT_FALSE(ApiKeyAccepted(keys, "SK-ONE"));
  EXPECT_FALSE(ApiKeyAccepted(keys, ""));
  EXPECT_FALSE(ApiKeyAccepted({}, "sk-one"));
}

TEST(ClientSecurityConfigTest, ApiKeyWithoutTlsIsRefused) {
  setenv("CASCADE_TEST_KEY", "sk-secret-value", 1);
  v1::ClientConfig config;
  config.set_address("127.0.0.1:1");
  config.set_api_key_env("CASCADE_TEST_KEY");
  auto channel = ChannelFromConfig(config, "tiers[0].endpoint");
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(channel.status().message(), HasSubstr("tiers[0].endpoint.api_key_env needs"));
  EXPECT_THAT(channel.status().message(), Not(HasSubstr("sk-secret-value")));
  unsetenv("CASCADE_TEST_KEY");
}

TEST(ClientSecurityConfigTest, ClientCertificateWithoutKeyIsRefused) {
  v1::ClientConfig config;
  config.set_address("127.0.0.1:1");
  config.mutable_tls()->set_cert_file("/nonexistent/client.pem");
  auto channel = ChannelFromConfig(config, "router");
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(channel.status().message(),
              HasSubstr("router.tls.cert_file and router.tls.key_file"));
}

TEST(ClientSecurityConfigTest, UnreadableCaFileIsNamed) {
  v1::ClientConfig config;
  config.set_address("127.0.0.1:1");
  config.mutable_tls()->set_ca_file("/nonexistent/ca.pem");
  auto channel = ChannelFromConfig(config, "judge");
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(channel.status().message(), HasSubstr("judge.tls.ca_file: cannot read"));
}

TEST(ClientSecurityConfigTest, UnsetClientKeyVariableIsNamed) {
  unsetenv("CASCADE_TEST_KEY");
  v1::ClientConfig config;
  config.set_address("127.0.0.1:1");
  config.mutable_tls();  // System roots.
  config.set_api_key_env("CASCADE_TEST_KEY");
  auto channel = ChannelFromConfig(config, "llm_tier");
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(channel.status().message(), HasSubstr("llm_tier.api_key_env"));
}

TEST(ServerSecurityConfigTest, PlaintextByDefault) {
  auto security = ServerSecurityFromConfig(v1::ServerConfig());
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_FALSE(security->tls());
  EXPECT_EQ(security->Describe(), "plaintext");
}

}  // namespace
}  // namespace cascade
