#pragma once

// The fixture of the answer cache admin tests (answer_cache_admin_test.cc and
// cascadectl_cache_test.cc): the real cascade-orchestrator over one real cascade-tier-worker
// fronting a fake OpenAI upstream in this process (which counts the calls that reached a
// model), with policies `default` and `strict` caching and `plain` not. The cache is filled
// through real Complete calls; a test PKI (tests/support/make_test_ca.sh) serves the tests
// that need TLS and API keys.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "cascade/v1/answer_cache.grpc.pb.h"
#include "cascade/v1/cascade.grpc.pb.h"
#include "services/tier_worker/testing/fake_openai_server.h"
#include "tests/support/server_process.h"

namespace cascade::orchestrator::testing {

// Client and operator keys of the TLS tests (distinctive, so a leak is easy to find).
inline constexpr char kClientKeysEnv[] = "CASCADE_TEST_CACHE_CLIENT_KEYS";
inline constexpr char kAdminKeysEnv[] = "CASCADE_TEST_CACHE_ADMIN_KEYS";
inline constexpr char kClientKey[] = "sk-cache-tenant-5e1d0c";
inline constexpr char kAdminKey[] = "sk-cache-operator-9a7f33";

class CacheAdminSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // Starts the orchestrator with `server_yaml` (lines indented two spaces under `server:`)
  // and `policies` (the `policies:` list; the three above unless given), with `env` added.
  void StartOrchestrator(const std::string& server_yaml = "", const std::string& policies = "",
                         const std::map<std::string, std::string>& env = {});

  // server.tls of the test PKI, and the keys of the TLS tests when `keys`.
  static std::string TlsServerYaml(bool client_keys, bool admin_keys);
  static std::string Pki(const std::string& file);

  // A channel to the orchestrator: plaintext, or TLS trusting the test CA with `key` sent
  // (none when empty).
  std::shared_ptr<grpc::Channel> Channel(bool tls = false, const std::string& key = "") const;

  // Asks `question` as `tenant` under `policy`; the response (the test fails on an error).
  v1::CascadeResponse Ask(const std::string& question, const std::string& tenant,
                          const std::string& policy = "default",
                          std::shared_ptr<grpc::Channel> channel = nullptr);
  // Whether asking was answered from the cache, with no model called.
  bool AskIsHit(const std::string& question, const std::string& tenant,
                const std::string& policy = "default",
                std::shared_ptr<grpc::Channel> channel = nullptr);

  grpc::Status Stats(const v1::AnswerCacheStatsRequest& request,
                     v1::AnswerCacheStatsResponse* response,
                     std::shared_ptr<grpc::Channel> channel = nullptr);
  grpc::Status Purge(const v1::AnswerCachePurgeRequest& request,
                     v1::AnswerCachePurgeResponse* response,
                     std::shared_ptr<grpc::Channel> channel = nullptr);

  std::string Metrics() const;

  std::unique_ptr<tier_worker::testing::FakeOpenAIServer> upstream_;
  std::unique_ptr<cascade::testing::ServerProcess> tier_;
  std::unique_ptr<cascade::testing::ServerProcess> orchestrator_;

 private:
  static std::string* pki_;
  int configs_ = 0;
};

}  // namespace cascade::orchestrator::testing
