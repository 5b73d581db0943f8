// `cascadectl cache stats` and `cascadectl cache purge` as an operator runs them: the real
// binary against the real cascade-orchestrator whose cache real requests filled
// (cache_admin_suite.h). Tables and JSON, a purge by tenant that leaves the other tenant's
// answers served, exit codes (0 done, 1 the server refused, 2 a usage error caught before any
// call), and over TLS the operator's key in --api-key-env.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/integration/orchestrator/cache_admin_suite.h"

namespace cascade::orchestrator {
namespace {

using cascade::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;  // NOLINT: the suite's helpers.

const std::string kCascadectl = std::string(CASCADE_BIN_DIR) + "/cascadectl";

class CascadectlCacheTest : public CacheAdminSuite {
 protected:
  // Runs cascadectl with `args`; its exit code, and its stdout and stderr in `output`.
  int Run(const std::vector<std::string>& args, std::string* output) {
    output->clear();
    const cascade::testing::ProcessResult result =
        ServerProcess::RunToExit(kCascadectl, args, output);
    EXPECT_TRUE(result.exited) << *output;
    return result.code;
  }
};

TEST_F(CascadectlCacheTest, StatsPrintsATablePerPolicyAndJson) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_TRUE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of Spain?", "globex", "strict"));
  const std::string address = orchestrator_->grpc_address();

  std::string output;
  ASSERT_EQ(Run({"cache", "stats", "--orchestrator", address}, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("POLICY"));
  EXPECT_THAT(output, HasSubstr("HIT RATE"));
  EXPECT_THAT(output, ::testing::ContainsRegex("default +on +1 "));
  EXPECT_THAT(output, ::testing::ContainsRegex("strict +on +1 "));
  EXPECT_THAT(output, ::testing::ContainsRegex("total +2 "));
  EXPECT_THAT(output, HasSubstr("50.0%"));  // default: one hit, one miss.
  EXPECT_THAT(output, HasSubstr("semantic candidates refused: none"));

  ASSERT_EQ(
      Run({"cache", "stats", "--orchestrator", address, "--tenant", "globex", "--json"}, &output),
      0)
      << output;
  const nlohmann::json stats = nlohmann::json::parse(output);
  // int64 fields are strings in protobuf's JSON.
  EXPECT_EQ(stats["total"]["entries"], "1");
  ASSERT_EQ(stats["policies"].size(), 2u);
  EXPECT_EQ(stats["policies"][1]["policy"], "strict");
  EXPECT_EQ(stats["policies"][1]["counters"]["entries"], "1");
}

TEST_F(CascadectlCacheTest, PurgeByTenantLeavesTheOtherTenantServed) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex"));
  const std::string address = orchestrator_->grpc_address();

  std::string output;
  ASSERT_EQ(Run({"cache", "purge", "--orchestrator", address, "--tenant", "acme"}, &output), 0)
      << output;
  EXPECT_EQ(output, "removed 1 answer (default 1)\n");
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "globex"));
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "acme"));

  ASSERT_EQ(
      Run({"cache", "purge", "--orchestrator", address, "--older-than", "1h", "--json"}, &output),
      0)
      << output;
  EXPECT_EQ(nlohmann::json::parse(output)["removed"], "0");

  ASSERT_EQ(Run({"cache", "purge", "--orchestrator", address, "--all"}, &output), 0) << output;
  EXPECT_EQ(output, "removed 2 answers (default 2)\n");
}

TEST_F(CascadectlCacheTest, WhatTheServerRefusesExitsOneWithItsMessage) {
  StartOrchestrator();
  const std::string address = orchestrator_->grpc_address();
  std::string output;
  EXPECT_EQ(Run({"cache", "purge", "--orchestrator", address, "--policy", "nonesuch"}, &output), 1);
  EXPECT_THAT(output, HasSubstr("cascadectl cache purge: NOT_FOUND: no policy 'nonesuch' "
                                "(known: default, plain, strict)"));
  EXPECT_EQ(Run({"cache", "stats", "--orchestrator", address, "--policy", "plain"}, &output), 1);
  EXPECT_THAT(output, HasSubstr("FAILED_PRECONDITION: policy 'plain' has no answer cache"));
}

TEST_F(CascadectlCacheTest, UsageMistakesExitTwoBeforeAnyCall) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  const std::string address = orchestrator_->grpc_address();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"cache"}, "needs a subcommand: stats, purge or fit"},
      {{"cache", "flush"}, "unknown subcommand 'flush'"},
      {{"cache", "purge", "--orchestrator", address}, "say what to remove"},
      {{"cache", "purge", "--orchestrator", address, "--all", "--tenant", "acme"},
       "--all removes every answer and takes no filter"},
      {{"cache", "purge", "--orchestrator", address, "--older-than", "0s"},
       "--older-than must be a duration > 0"},
      {{"cache", "purge", "--orchestrator", address, "--older-than", "3 days"},
       "--older-than must be a duration > 0"},
      {{"cache", "purge", "--orchestrator", address, "--tennant", "acme"},
       "unknown flag --tennant"},
      {{"cache", "stats"}, "--orchestrator is required"},
      {{"cache", "stats", "--orchestrator", address, "default"}, "unexpected argument 'default'"},
  };
  for (const Case& c : cases) {
    std::string output;
    EXPECT_EQ(Run(c.args, &output), 2) << output;
    EXPECT_THAT(output, HasSubstr(c.message));
    EXPECT_THAT(output, HasSubstr("usage: cascadectl cache"));
  }
  // None of them reached the server.
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "acme"));

  std::string help;
  ASSERT_EQ(Run({"cache", "purge", "--help"}, &help), 0);
  EXPECT_THAT(help, HasSubstr("--older-than DURATION"));
  ASSERT_EQ(Run({"--help"}, &help), 0);
  EXPECT_THAT(help, HasSubstr("cache purge --orchestrator ADDR"));
}

TEST_F(CascadectlCacheTest, OverTlsTheOperatorsKeyPurgesAndAClientKeyIsRefused) {
  StartOrchestrator(TlsServerYaml(/*client_keys=*/true, /*admin_keys=*/true), "",
                    {{kClientKeysEnv, kClientKey}, {kAdminKeysEnv, kAdminKey}});
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex", "default",
                        Channel(/*tls=*/true, kClientKey)));
  const std::vector<std::string> purge = {"cache",          "purge",
                                          "--orchestrator", orchestrator_->grpc_address(),
                                          "--tenant",       "globex",
                                          "--ca-file",      Pki("ca.pem"),
                                          "--api-key-env",  "CASCADECTL_TEST_KEY"};
  std::string output;
  setenv("CASCADECTL_TEST_KEY", kClientKey, 1);
  EXPECT_EQ(Run(purge, &output), 1);
  EXPECT_THAT(output, HasSubstr("PERMISSION_DENIED"));
  setenv("CASCADECTL_TEST_KEY", kAdminKey, 1);
  EXPECT_EQ(Run(purge, &output), 0) << output;
  EXPECT_EQ(output, "removed 1 answer (default 1)\n");
  unsetenv("CASCADECTL_TEST_KEY");
  EXPECT_THAT(output, Not(HasSubstr(kAdminKey)));
}

}  // namespace
}  // namespace cascade::orchestrator
