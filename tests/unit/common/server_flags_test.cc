#include "common/grpc_runtime/server_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade {
namespace {

using ::testing::HasSubstr;

const ServerFlagSpec kRouter{"cascade-router", "Routes.", false, "cascade.v1.RouterConfig"};
const ServerFlagSpec kOrchestrator{"cascade-orchestrator", "Front door.", true,
                                   "cascade.v1.OrchestratorConfig"};

TEST(ServerFlagsTest, BothSpellingsOfValues) {
  auto flags = ParseServerFlags(
      {"--config", "a.yaml", "--grpc-listen=127.0.0.1:5", "--metrics-listen", "unix:/m"}, kRouter);
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(*flags->config_path, "a.yaml");
  EXPECT_EQ(*flags->grpc_listen, "127.0.0.1:5");
  EXPECT_EQ(*flags->metrics_listen, "unix:/m");
  EXPECT_FALSE(flags->http_listen.has_value());
}

TEST(ServerFlagsTest, HttpListenOnlyWhereServed) {
  EXPECT_TRUE(ParseServerFlags({"--http-listen", "127.0.0.1:0"}, kOrchestrator).ok());
  auto flags = ParseServerFlags({"--http-listen", "127.0.0.1:0"}, kRouter);
  ASSERT_FALSE(flags.ok());
  EXPECT_THAT(flags.status().message(), HasSubstr("unknown flag --http-listen"));
}

TEST(ServerFlagsTest, MissingValueAndStrayArgumentsAreErrors) {
  auto missing = ParseServerFlags({"--config"}, kRouter);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("--config needs a value"));
  auto stray = ParseServerFlags({"serve"}, kRouter);
  ASSERT_FALSE(stray.ok());
  EXPECT_THAT(stray.status().message(), HasSubstr("unexpected argument 'serve'"));
}

TEST(ServerFlagsTest, HelpAndVersion) {
  auto flags = ParseServerFlags({"--help", "--version"}, kRouter);
  ASSERT_TRUE(flags.ok());
  EXPECT_TRUE(flags->help);
  EXPECT_TRUE(flags->version);
}

TEST(ServerFlagsTest, UsageNamesEveryFlagAndTheConfigType) {
  std::string usage = ServerUsage(kOrchestrator);
  for (const char* text :
       {"--config FILE", "--grpc-listen ADDR", "--metrics-listen ADDR", "--http-listen ADDR",
        "--log-level", "cascade.v1.OrchestratorConfig", "SIGTERM"}) {
    EXPECT_THAT(usage, HasSubstr(text));
  }
  EXPECT_THAT(ServerUsage(kRouter), ::testing::Not(HasSubstr("--http-listen")));
}

}  // namespace
}  // namespace cascade
