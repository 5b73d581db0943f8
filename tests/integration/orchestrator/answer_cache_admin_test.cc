// cascade.v1.AnswerCacheAdmin on the real cascade-orchestrator, its cache filled by real
// Complete calls through a real tier worker (cache_admin_suite.h): stats of what the
// requests kept and served; a purge by tenant that leaves the other tenant's answers served
// with no model called; a purge by age; the metrics of a purge; every bad request answered
// with its code and a message that says what to do; and who may call it: over TLS with API
// keys, a client (tenant) key can neither read nor purge, an operator's admin key can.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/orchestrator/cache_admin_suite.h"

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;  // NOLINT: the suite's helpers.

using AnswerCacheAdminTest = CacheAdminSuite;

v1::AnswerCachePurgeRequest PurgeTenant(const std::string& tenant) {
  v1::AnswerCachePurgeRequest request;
  request.set_tenant(tenant);
  return request;
}

const v1::PolicyAnswerCacheStats* Find(const v1::AnswerCacheStatsResponse& stats,
                                       const std::string& policy) {
  for (const v1::PolicyAnswerCacheStats& entry : stats.policies()) {
    if (entry.policy() == policy) return &entry;
  }
  return nullptr;
}

TEST_F(AnswerCacheAdminTest, StatsCountWhatRequestsKeptAndServed) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_TRUE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex"));
  ASSERT_FALSE(AskIsHit("What is the capital of Spain?", "acme", "strict"));

  v1::AnswerCacheStatsResponse stats;
  grpc::Status status = Stats({}, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(stats.policies_size(), 2);  // `plain` has no cache.
  const v1::PolicyAnswerCacheStats* cached = Find(stats, "default");
  ASSERT_NE(cached, nullptr);
  EXPECT_TRUE(cached->enabled());
  EXPECT_EQ(cached->counters().entries(), 2);
  EXPECT_EQ(cached->counters().exact_hits(), 1);
  EXPECT_EQ(cached->counters().misses(), 2);
  EXPECT_EQ(cached->counters().inserts(), 2);
  EXPECT_GT(cached->counters().bytes(), 0);
  ASSERT_NE(Find(stats, "strict"), nullptr);
  EXPECT_EQ(Find(stats, "strict")->counters().entries(), 1);
  EXPECT_EQ(stats.total().entries(), 3);
  EXPECT_EQ(stats.total().bytes(),
            cached->counters().bytes() + Find(stats, "strict")->counters().bytes());

  v1::AnswerCacheStatsRequest acme;
  acme.set_policy("default");
  acme.set_tenant("acme");
  status = Stats(acme, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(stats.policies_size(), 1);
  EXPECT_EQ(stats.total().entries(), 1);
  EXPECT_EQ(stats.total().exact_hits(), 1);
  EXPECT_EQ(stats.total().misses(), 1);
}

TEST_F(AnswerCacheAdminTest, PurgeByTenantLeavesTheOtherTenantsAnswersServed) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme", "strict"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex"));

  v1::AnswerCachePurgeResponse purged;
  grpc::Status status = Purge(PurgeTenant("acme"), &purged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(purged.removed(), 2);
  EXPECT_EQ(purged.removed_by_policy().at("default"), 1);
  EXPECT_EQ(purged.removed_by_policy().at("strict"), 1);

  EXPECT_TRUE(AskIsHit("What is the capital of France?", "globex"));
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  const std::string metrics = Metrics();
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_purged_total{policy=\"default\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_purged_total{policy=\"strict\"} 1"));
  // globex's answer and acme's new one; purges are not evictions.
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_entries 2"));
  EXPECT_THAT(metrics, HasSubstr("cascade_cache_evictions_total 0"));
}

TEST_F(AnswerCacheAdminTest, PurgeByAgeRemovesOnlyAnswersThatOld) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex"));

  v1::AnswerCachePurgeRequest hour_old;
  hour_old.mutable_older_than()->set_seconds(3600);
  v1::AnswerCachePurgeResponse purged;
  grpc::Status status = Purge(hour_old, &purged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(purged.removed(), 0);
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "acme"));

  // Every answer kept before this call is at least a microsecond old by now; with the
  // tenant filter only acme's go.
  v1::AnswerCachePurgeRequest acme_settled = PurgeTenant("acme");
  acme_settled.mutable_older_than()->set_nanos(1000);
  status = Purge(acme_settled, &purged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(purged.removed(), 1);
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "globex"));
}

TEST_F(AnswerCacheAdminTest, AllRemovesEveryAnswerButOnlyWhenSaid) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex", "strict"));

  v1::AnswerCachePurgeResponse purged;
  grpc::Status refused = Purge({}, &purged);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("set all"));
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "acme"));

  v1::AnswerCachePurgeRequest all;
  all.set_all(true);
  grpc::Status status = Purge(all, &purged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(purged.removed(), 2);
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "globex", "strict"));
}

TEST_F(AnswerCacheAdminTest, BadRequestsSayWhatIsWrong) {
  StartOrchestrator();
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "acme"));
  struct Case {
    v1::AnswerCachePurgeRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  {
    Case unknown{
        {}, grpc::StatusCode::NOT_FOUND, "no policy 'defualt' (known: default, plain, strict)"};
    unknown.request.set_policy("defualt");
    cases.push_back(unknown);
    Case uncached{{},
                  grpc::StatusCode::FAILED_PRECONDITION,
                  "policy 'plain' has no answer cache: set `cache: {enabled: true}` on it"};
    uncached.request.set_policy("plain");
    cases.push_back(uncached);
    Case empty_policy{{}, grpc::StatusCode::INVALID_ARGUMENT, "policy is empty"};
    empty_policy.request.set_policy("");
    cases.push_back(empty_policy);
    Case both{PurgeTenant("acme"), grpc::StatusCode::INVALID_ARGUMENT, "takes no filter"};
    both.request.set_all(true);
    cases.push_back(both);
    Case zero{PurgeTenant("acme"), grpc::StatusCode::INVALID_ARGUMENT,
              "older_than must be a finite duration > 0, got 0"};
    zero.request.mutable_older_than();
    cases.push_back(zero);
    Case negative{
        {}, grpc::StatusCode::INVALID_ARGUMENT, "older_than must be a finite duration > 0"};
    negative.request.mutable_older_than()->set_seconds(-60);
    cases.push_back(negative);
    Case malformed{{}, grpc::StatusCode::INVALID_ARGUMENT, "older_than is not a valid duration"};
    malformed.request.mutable_older_than()->set_seconds(1);
    malformed.request.mutable_older_than()->set_nanos(-5);
    cases.push_back(malformed);
  }
  for (const Case& c : cases) {
    v1::AnswerCachePurgeResponse purged;
    grpc::Status status = Purge(c.request, &purged);
    EXPECT_EQ(status.error_code(), c.code) << c.message << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  v1::AnswerCacheStatsRequest unknown;
  unknown.set_policy("nonesuch");
  v1::AnswerCacheStatsResponse stats;
  grpc::Status status = Stats(unknown, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("known: default, plain, strict"));
  // Nothing was removed by any of them.
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "acme"));
}

TEST_F(AnswerCacheAdminTest, ACacheNoPolicyEnablesSaysHowToEnableIt) {
  StartOrchestrator("", "policies:\n  - name: plain\n    tiers: [{tier: small}]\n");
  v1::AnswerCacheStatsResponse stats;
  grpc::Status status = Stats({}, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("the answer cache is off"));
  EXPECT_THAT(status.error_message(), HasSubstr("cache: {enabled: true}"));
  v1::AnswerCachePurgeRequest all;
  all.set_all(true);
  v1::AnswerCachePurgeResponse purged;
  EXPECT_EQ(Purge(all, &purged).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Tenants are not authenticated (CascadeRequest.tenant is whatever the caller writes), so a
// client key could name any tenant: the admin RPCs take only operators' keys.
TEST_F(AnswerCacheAdminTest, OnlyAnAdminKeyMayReadOrPurgeAndAClientKeyCannot) {
  StartOrchestrator(TlsServerYaml(/*client_keys=*/true, /*admin_keys=*/true), "",
                    {{kClientKeysEnv, kClientKey}, {kAdminKeysEnv, kAdminKey}});
  EXPECT_EQ(orchestrator_->listening().value("grpc_security", ""), "tls+api_keys+admin_keys");
  const auto tenant = Channel(/*tls=*/true, kClientKey);
  const auto admin = Channel(/*tls=*/true, kAdminKey);
  ASSERT_FALSE(AskIsHit("What is the capital of France?", "globex", "default", tenant));

  // acme, holding a client key, tries to read and to wipe globex's answers.
  v1::AnswerCacheStatsRequest globex_stats;
  globex_stats.set_tenant("globex");
  v1::AnswerCacheStatsResponse stats;
  grpc::Status read = Stats(globex_stats, &stats, tenant);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(read.error_message(), HasSubstr("need an admin key (server.admin_api_keys_env)"));
  v1::AnswerCachePurgeResponse purged;
  EXPECT_EQ(Purge(PurgeTenant("globex"), &purged, tenant).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Purge(PurgeTenant("acme"), &purged, tenant).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Purge(PurgeTenant("globex"), &purged, Channel(/*tls=*/true)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(AskIsHit("What is the capital of France?", "globex", "default", tenant));

  // The operator's key reads and purges (and, like a client key, may ask).
  grpc::Status status = Stats(globex_stats, &stats, admin);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.total().entries(), 1);
  status = Purge(PurgeTenant("globex"), &purged, admin);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(purged.removed(), 1);
  EXPECT_FALSE(AskIsHit("What is the capital of France?", "globex", "default", admin));

  for (const char* secret : {kClientKey, kAdminKey}) {
    EXPECT_THAT(orchestrator_->Stderr(), Not(HasSubstr(secret)));
    EXPECT_THAT(Metrics(), Not(HasSubstr(secret)));
  }
}

TEST_F(AnswerCacheAdminTest, WithClientKeysAndNoAdminKeyNobodyMayCallIt) {
  StartOrchestrator(TlsServerYaml(/*client_keys=*/true, /*admin_keys=*/false), "",
                    {{kClientKeysEnv, kClientKey}});
  v1::AnswerCacheStatsResponse stats;
  grpc::Status status = Stats({}, &stats, Channel(/*tls=*/true, kClientKey));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("set server.admin_api_keys_env"));
}

}  // namespace
}  // namespace cascade::orchestrator
