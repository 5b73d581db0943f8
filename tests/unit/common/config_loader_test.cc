#include "common/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "cascade/v1/config.pb.h"

namespace cascade {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

absl::StatusOr<v1::TierWorkerConfig> ParseTier(const std::string& yaml) {
  v1::TierWorkerConfig config;
  absl::Status status = ParseConfigYaml(yaml, "tier.yaml", &config);
  if (!status.ok()) return status;
  return config;
}

TEST(ConfigLoaderTest, GoodFileFillsEveryField) {
  setenv("CASCADE_TEST_KEY", "sk-test", 1);
  auto config = ParseTier(R"(
server:
  grpc_listen: 127.0.0.1:0
  drain_delay: 250ms
  max_receive_message_bytes: 1048576
tier: small
openai:
  base_url: http://127.0.0.1:8000/v1
  model: gpt-4o-mini
  api_key_env: CASCADE_TEST_KEY
price:
  input_usd_per_mtok: 0.15
  output_usd_per_mtok: 0.6
max_concurrency: 8
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server().grpc_listen(), "127.0.0.1:0");
  EXPECT_EQ(config->server().drain_delay().nanos(), 250'000'000);
  EXPECT_EQ(config->server().max_receive_message_bytes(), 1048576);
  EXPECT_EQ(config->tier(), "small");
  EXPECT_EQ(config->openai().model(), "gpt-4o-mini");
  EXPECT_DOUBLE_EQ(config->price().output_usd_per_mtok(), 0.6);
  EXPECT_EQ(config->max_concurrency(), 8);
}

TEST(ConfigLoaderTest, EmptyFileMeansDefaults) {
  auto config = ParseTier("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tier(), "");
}

TEST(ConfigLoaderTest, UnknownKeyIsNamedWithLineAndSuggestion) {
  auto config = ParseTier("server:\n  grpc_listen: 127.0.0.1:0\n  grpc_lisen: x\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr("tier.yaml:3"), HasSubstr("unknown field"),
                    HasSubstr("server.grpc_lisen"), HasSubstr("did you mean 'grpc_listen'")));
}

TEST(ConfigLoaderTest, UnknownKeyFarFromAnyFieldListsTheFields) {
  auto config = ParseTier("colour: blue\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr("tier.yaml:1"), HasSubstr("'colour'"), HasSubstr("max_concurrency")));
}

TEST(ConfigLoaderTest, WrongTypeIsNamed) {
  auto config = ParseTier("max_concurrency: lots\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr("tier.yaml:1"), HasSubstr("expected an integer, got a string"),
                    HasSubstr("max_concurrency")));
}

TEST(ConfigLoaderTest, PlainNumberForStringFieldAsksForQuotes) {
  auto config = ParseTier("tier: 42\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("quote it"));
  EXPECT_TRUE(ParseTier("tier: \"42\"\n").ok());
}

TEST(ConfigLoaderTest, YesIsAStringNotABoolean) {
  // YAML 1.1 would read `yes` as true; our typing keeps it a string.
  auto config = ParseTier("tier: yes\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tier(), "yes");
}

TEST(ConfigLoaderTest, MissingRequiredFieldIsNamed) {
  auto config = ParseTier("openai:\n  model: m\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr("missing required field"), HasSubstr("openai.base_url")));
}

TEST(ConfigLoaderTest, MissingSecretVariableIsNamedWithoutAValue) {
  unsetenv("CASCADE_TEST_ABSENT_KEY");
  auto config = ParseTier(
      "openai:\n  base_url: http://x\n  model: m\n  api_key_env: CASCADE_TEST_ABSENT_KEY\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              AllOf(HasSubstr("tier.yaml:4"), HasSubstr("CASCADE_TEST_ABSENT_KEY"),
                    HasSubstr("is not set")));
}

TEST(ConfigLoaderTest, TwoMembersOfAOneofAreRejected) {
  auto config = ParseTier(
      "openai:\n  base_url: http://x\n  model: m\ninference:\n  endpoint: {address: x}\n  model: "
      "m\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("only one of 'inference' and 'openai'"));
}

TEST(ConfigLoaderTest, DuplicateKeyIsRejected) {
  auto config = ParseTier("tier: a\ntier: b\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), AllOf(HasSubstr("tier.yaml:2"), HasSubstr("duplicate")));
}

// Found by the config_loader fuzzer: a config with bytes that are not UTF-8 made the JSON
// step throw (nlohmann::json::type_error 316) out of the loader.
TEST(ConfigLoaderTest, NonUtf8IsAnErrorNamingTheLine) {
  for (const char* yaml : {"tier: small\nprice: {}\nmodel: caf\xe9\n", "\xc3\x28: 1\n"}) {
    auto config = ParseTier(yaml);
    ASSERT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition) << yaml;
    EXPECT_THAT(config.status().message(), HasSubstr("not valid UTF-8")) << yaml;
  }
  EXPECT_THAT(ParseTier("tier: small\nprice: {}\nmodel: caf\xe9\n").status().message(),
              HasSubstr("tier.yaml:3"));
  // An escaped lone surrogate is refused too (by yaml-cpp or by the UTF-8 check).
  EXPECT_EQ(ParseTier("tier: \"\\udc00\"\n").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Escapes of real characters are fine.
  auto config = ParseTier("tier: \"caf\\xe9 \\u2581\"\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tier(), "caf\xc3\xa9 \xe2\x96\x81");
}

TEST(ConfigLoaderTest, SyntaxErrorNamesLine) {
  auto config = ParseTier("server:\n  grpc_listen: [unclosed\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), AllOf(HasSubstr("tier.yaml:"), HasSubstr("YAML")));
}

TEST(ConfigLoaderTest, MalformedDurationIsRejected) {
  auto config = ParseTier("server:\n  drain_delay: soon\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("tier.yaml"));
  auto number = ParseTier("server:\n  drain_delay: 5\n");
  ASSERT_FALSE(number.ok());
  EXPECT_THAT(number.status().message(), HasSubstr("duration"));
}

TEST(ConfigLoaderTest, ListItemErrorsNameTheIndex) {
  v1::InferenceConfig config;
  absl::Status status =
      ParseConfigYaml("models:\n  - name: a\n    path: a.gguf\n  - name: b\n    threads: two\n",
                      "inf.yaml", &config);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), AllOf(HasSubstr("models[1].threads"), HasSubstr("inf.yaml:5"),
                                      HasSubstr("models[1].path")));
}

TEST(ConfigLoaderTest, MissingFileIsNotFound) {
  v1::RouterConfig config;
  absl::Status status = LoadConfigFile("/nonexistent/router.yaml", &config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/router.yaml"));
}

TEST(ConfigLoaderTest, LoadsFromFile) {
  std::string path = ::testing::TempDir() + "/router_config_test.yaml";
  std::ofstream(path) << "routes_file: routes.yaml\nmax_query_bytes: 1024\n";
  auto config = LoadConfig<v1::RouterConfig>(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_query_bytes(), 1024);
}

TEST(ReadSecretFromEnvTest, ReturnsValueOrNamesVariable) {
  setenv("CASCADE_TEST_SECRET", "hunter2", 1);
  EXPECT_EQ(*ReadSecretFromEnv("CASCADE_TEST_SECRET"), "hunter2");
  setenv("CASCADE_TEST_EMPTY", "", 1);
  auto empty = ReadSecretFromEnv("CASCADE_TEST_EMPTY");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("CASCADE_TEST_EMPTY"));
}

}  // namespace
}  // namespace cascade
