#include "tests/integration/orchestrator/cache_admin_suite.h"

#include <unistd.h>

#include "common/security/grpc_security.h"
#include "tests/integration/orchestrator/orchestrator_suite.h"
#include "tests/support/temp_config.h"

namespace cascade::orchestrator::testing {

using cascade::testing::ServerProcess;
using tier_worker::testing::ChatCompletionJson;
using tier_worker::testing::FakeOpenAIServer;
using tier_worker::testing::FakeReply;

namespace {

constexpr char kPolicies[] = R"(policies:
  - name: default
    cache: {enabled: true}
    tiers: [{tier: small}]
  - name: strict
    cache: {enabled: true}
    tiers: [{tier: small}]
  - name: plain
    tiers: [{tier: small}]
)";

}  // namespace

std::string* CacheAdminSuite::pki_ = nullptr;

void CacheAdminSuite::SetUpTestSuite() {
  pki_ = new std::string(::testing::TempDir() + "/cache_admin_pki_" + std::to_string(getpid()));
  std::string output;
  auto result = ServerProcess::RunToExit(
      std::string(CASCADE_SOURCE_DIR) + "/tests/support/make_test_ca.sh", {*pki_}, &output);
  ASSERT_TRUE(result.exited && result.code == 0) << output;
}

void CacheAdminSuite::TearDownTestSuite() {
  delete pki_;
  pki_ = nullptr;
}

std::string CacheAdminSuite::Pki(const std::string& file) { return *pki_ + "/" + file; }

std::string CacheAdminSuite::TlsServerYaml(bool client_keys, bool admin_keys) {
  std::string yaml =
      "  tls:\n    cert_file: " + Pki("server.pem") + "\n    key_file: " + Pki("server.key") + "\n";
  if (client_keys) yaml += "  api_keys_env: " + std::string(kClientKeysEnv) + "\n";
  if (admin_keys) yaml += "  admin_api_keys_env: " + std::string(kAdminKeysEnv) + "\n";
  return yaml;
}

void CacheAdminSuite::SetUp() {
  upstream_ = FakeOpenAIServer::Start();
  upstream_->Enqueue(FakeReply::Json(ChatCompletionJson({"Paris", "."}, 7, 2, true)));
  auto tier = StartTierWorker("small", upstream_->base_url(), "0.10", "0.40");
  ASSERT_TRUE(tier.ok()) << tier.status();
  tier_ = *std::move(tier);
}

void CacheAdminSuite::StartOrchestrator(const std::string& server_yaml, const std::string& policies,
                                        const std::map<std::string, std::string>& env) {
  const std::string yaml = "server:\n  drain_delay: 0s\n" + server_yaml +
                           "tiers:\n  - name: small\n    endpoint: {address: \"" +
                           tier_->grpc_address() + "\"}\nanswer_cache: {max_entries: 100}\n" +
                           (policies.empty() ? std::string(kPolicies) : policies);
  auto orchestrator = ServerProcess::Start(
      Bin("cascade-orchestrator"),
      {"--config", cascade::testing::WriteTempConfig(
                       "cache_admin_" + std::to_string(++configs_) + ".yaml", yaml)},
      env);
  ASSERT_TRUE(orchestrator.ok()) << orchestrator.status();
  orchestrator_ = *std::move(orchestrator);
}

std::shared_ptr<grpc::Channel> CacheAdminSuite::Channel(bool tls, const std::string& key) const {
  v1::ClientConfig config;
  config.set_address(orchestrator_->grpc_address());
  if (tls) config.mutable_tls()->set_ca_file(Pki("ca.pem"));
  const std::string key_env = "CASCADE_TEST_CACHE_CALLER_KEY";
  if (!key.empty()) {
    setenv(key_env.c_str(), key.c_str(), 1);
    config.set_api_key_env(key_env);
  }
  auto channel = ChannelFromConfig(config, "test");
  unsetenv(key_env.c_str());
  EXPECT_TRUE(channel.ok()) << channel.status();
  return channel.ok() ? *channel : nullptr;
}

v1::CascadeResponse CacheAdminSuite::Ask(const std::string& question, const std::string& tenant,
                                         const std::string& policy,
                                         std::shared_ptr<grpc::Channel> channel) {
  v1::CascadeRequest request = testing::Ask(question);
  request.set_tenant(tenant);
  request.set_policy(policy);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::CascadeResponse response;
  grpc::Status status =
      v1::Cascade::NewStub(channel ? channel : Channel())->Complete(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

bool CacheAdminSuite::AskIsHit(const std::string& question, const std::string& tenant,
                               const std::string& policy, std::shared_ptr<grpc::Channel> channel) {
  const int calls = upstream_->calls();
  v1::CascadeResponse response = Ask(question, tenant, policy, std::move(channel));
  const bool hit = response.has_cache();
  // A hit never reaches a model; a miss always does.
  EXPECT_EQ(upstream_->calls(), hit ? calls : calls + 1) << question << " as " << tenant;
  return hit;
}

grpc::Status CacheAdminSuite::Stats(const v1::AnswerCacheStatsRequest& request,
                                    v1::AnswerCacheStatsResponse* response,
                                    std::shared_ptr<grpc::Channel> channel) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return v1::AnswerCacheAdmin::NewStub(channel ? channel : Channel())
      ->Stats(&context, request, response);
}

grpc::Status CacheAdminSuite::Purge(const v1::AnswerCachePurgeRequest& request,
                                    v1::AnswerCachePurgeResponse* response,
                                    std::shared_ptr<grpc::Channel> channel) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return v1::AnswerCacheAdmin::NewStub(channel ? channel : Channel())
      ->Purge(&context, request, response);
}

std::string CacheAdminSuite::Metrics() const { return MetricsOf(*orchestrator_); }

}  // namespace cascade::orchestrator::testing
