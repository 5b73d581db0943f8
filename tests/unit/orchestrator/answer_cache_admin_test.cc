// The answer cache's admin operations on a real Orchestrator filled by real requests (fake
// tiers, a fake clock): stats per policy and per tenant, a tenant's purge that leaves other
// tenants' answers served, a purge by age, the observer told of every purge (counted per
// policy, the store's gauges updated), and each mistake answered with its code and a
// message that says what to do: an unknown policy names the known ones, a cache that is off
// says how to turn it on, a purge without a filter needs `all`.

#include "services/orchestrator/lib/answer_cache_admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using testing::Answer;
using ::testing::ElementsAre;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using ::testing::Pair;

class AnswerCacheAdminTest : public ::testing::Test {
 protected:
  AnswerCacheAdminTest() {
    settings_ = testing::SmallThenLargeSettings();
    settings_.policies[0].cache = CachePolicySettings();
    PolicySettings strict = settings_.policies[0];
    strict.name = "strict";
    PolicySettings uncached = settings_.policies[0];
    uncached.name = "uncached";
    uncached.cache.reset();
    settings_.policies.push_back(strict);
    settings_.policies.push_back(uncached);
    small_->Enqueue(Answer("small", "Paris.", -0.01, 10, 4, 100'000, 200'000));
  }

  Orchestrator& Make() {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_,
                                                   [this] { return now_; });
    return *orchestrator_;
  }

  // Asks `question` as `tenant` under `policy`; whether the answer came from the cache.
  bool AskIsHit(const std::string& question, const std::string& tenant,
                const std::string& policy = "default") {
    v1::CascadeRequest request;
    auto* message = request.add_messages();
    message->set_role("user");
    message->set_content(question);
    request.set_tenant(tenant);
    request.set_policy(policy);
    CascadeCall call;
    call.request_id = "req";
    call.cancellation = &cancel_;
    absl::StatusOr<v1::CascadeResponse> response = orchestrator_->Complete(request, call);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() && response->has_cache();
  }

  const PolicyCacheStats* Find(const CacheStatsReport& report, const std::string& policy) {
    for (const PolicyCacheStats& stats : report.policies) {
      if (stats.policy == policy) return &stats;
    }
    return nullptr;
  }

  OrchestratorSettings settings_;
  std::shared_ptr<FakeTierClient> small_ =
      std::make_shared<FakeTierClient>("small", 100'000, 200'000);
  std::shared_ptr<FakeTierClient> large_ =
      std::make_shared<FakeTierClient>("large", 3'000'000, 10'000'000);
  std::shared_ptr<testing::RecordingObserver> observer_ =
      std::make_shared<testing::RecordingObserver>();
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  CancellationToken cancel_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(AnswerCacheAdminTest, StatsListEveryCachedPolicyAndSumThem) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme"));
  ASSERT_TRUE(AskIsHit("capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("capital of France?", "globex"));
  ASSERT_FALSE(AskIsHit("capital of Spain?", "acme", "strict"));

  absl::StatusOr<CacheStatsReport> report = orchestrator_->cache_admin().Stats({});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->policies.size(), 2u);  // "uncached" has no cache and holds nothing.
  EXPECT_EQ(report->policies[0].policy, "default");
  EXPECT_TRUE(report->policies[0].enabled);
  EXPECT_EQ(report->policies[0].stats.entries, 2);
  EXPECT_EQ(report->policies[0].stats.hits_exact, 1);
  EXPECT_EQ(report->policies[0].stats.misses, 2);
  EXPECT_EQ(report->policies[1].policy, "strict");
  EXPECT_EQ(report->policies[1].stats.entries, 1);
  EXPECT_EQ(report->total.entries, 3);
  EXPECT_EQ(report->total.inserts, 3);
  EXPECT_GT(report->total.bytes, 0);

  absl::StatusOr<CacheStatsReport> acme =
      orchestrator_->cache_admin().Stats({.policy = "default", .tenant = "acme"});
  ASSERT_TRUE(acme.ok()) << acme.status();
  ASSERT_EQ(acme->policies.size(), 1u);
  EXPECT_EQ(acme->total.entries, 1);
  EXPECT_EQ(acme->total.hits_exact, 1);

  // A tenant that never asked gets every cached policy, with zeros.
  absl::StatusOr<CacheStatsReport> stranger =
      orchestrator_->cache_admin().Stats({.tenant = "initech"});
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  EXPECT_EQ(stranger->policies.size(), 2u);
  EXPECT_EQ(stranger->total.entries, 0);
}

TEST_F(AnswerCacheAdminTest, PurgeByTenantLeavesOtherTenantsServedFromTheCache) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("capital of France?", "globex"));

  absl::StatusOr<cache::AnswerCachePurgeResult> purged =
      orchestrator_->cache_admin().Purge({.tenant = "acme"});
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->removed, 1);
  EXPECT_THAT(purged->removed_by_policy, ElementsAre(Pair("default", 1)));
  EXPECT_TRUE(AskIsHit("capital of France?", "globex"));
  EXPECT_FALSE(AskIsHit("capital of France?", "acme"));  // asked a tier again, and kept
  EXPECT_TRUE(AskIsHit("capital of France?", "acme"));
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_purge removed=1 policy=default"));
}

TEST_F(AnswerCacheAdminTest, PurgeByAgeRemovesOnlyOlderAnswers) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme"));
  now_ += absl::Hours(2);
  ASSERT_FALSE(AskIsHit("capital of Spain?", "acme"));
  absl::StatusOr<cache::AnswerCachePurgeResult> purged =
      orchestrator_->cache_admin().Purge({.older_than = absl::Hours(1)});
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->removed, 1);
  EXPECT_TRUE(AskIsHit("capital of Spain?", "acme"));
  EXPECT_FALSE(AskIsHit("capital of France?", "acme"));
}

TEST_F(AnswerCacheAdminTest, APurgeReportsTheStoreAndCountsPerPolicy) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme"));
  ASSERT_FALSE(AskIsHit("capital of France?", "acme", "strict"));
  ASSERT_FALSE(AskIsHit("capital of Spain?", "acme", "strict"));
  EXPECT_THAT(observer_->Last("cache_store"), HasSubstr("cache_store entries=3"));

  absl::StatusOr<cache::AnswerCachePurgeResult> purged =
      orchestrator_->cache_admin().Purge({.all = true});
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->removed, 3);
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_purge removed=1 policy=default"));
  EXPECT_THAT(observer_->Text(), HasSubstr("cache_purge removed=2 policy=strict"));
  // Purged entries are neither evictions nor expirations.
  EXPECT_EQ(observer_->Last("cache_store"), "cache_store entries=0 bytes=0 removed=0");

  // A purge that removes nothing tells the observer nothing.
  const size_t events = observer_->Events().size();
  ASSERT_TRUE(orchestrator_->cache_admin().Purge({.tenant = "acme"}).ok());
  EXPECT_EQ(observer_->Events().size(), events);
  absl::StatusOr<CacheStatsReport> report = orchestrator_->cache_admin().Stats({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->total.purged, 3);
  EXPECT_EQ(report->total.entries, 0);
}

TEST_F(AnswerCacheAdminTest, AnUnknownPolicyIsNotFoundNamingTheKnownOnes) {
  Make();
  for (const std::string policy : {"defualt", "nonesuch"}) {
    absl::StatusOr<CacheStatsReport> stats = orchestrator_->cache_admin().Stats({.policy = policy});
    EXPECT_EQ(stats.status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(stats.status().message(), HasSubstr("no policy '" + policy + "'"));
    EXPECT_THAT(stats.status().message(), HasSubstr("known: default, strict, uncached"));
    absl::StatusOr<cache::AnswerCachePurgeResult> purged =
        orchestrator_->cache_admin().Purge({.policy = policy});
    EXPECT_EQ(purged.status().code(), absl::StatusCode::kNotFound);
  }
}

TEST_F(AnswerCacheAdminTest, APolicyWithoutACacheSaysHowToEnableIt) {
  Make();
  absl::StatusOr<CacheStatsReport> stats =
      orchestrator_->cache_admin().Stats({.policy = "uncached"});
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stats.status().message(), HasSubstr("policy 'uncached' has no answer cache"));
  EXPECT_THAT(stats.status().message(), HasSubstr("cache: {enabled: true}"));
  EXPECT_EQ(orchestrator_->cache_admin().Purge({.policy = "uncached"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AnswerCacheAdminTest, ACacheNoPolicyEnablesIsAFailedPrecondition) {
  for (PolicySettings& policy : settings_.policies) policy.cache.reset();
  Make();
  absl::StatusOr<CacheStatsReport> stats = orchestrator_->cache_admin().Stats({});
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stats.status().message(), HasSubstr("the answer cache is off"));
  EXPECT_THAT(stats.status().message(), HasSubstr("cache: {enabled: true}"));
  absl::StatusOr<cache::AnswerCachePurgeResult> purged =
      orchestrator_->cache_admin().Purge({.all = true});
  EXPECT_EQ(purged.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AnswerCacheAdminTest, APolicyStillHeldAfterAReloadTurnedItsCacheOffCanBePurged) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme", "strict"));
  std::vector<PolicySettings> reloaded = settings_.policies;
  reloaded.erase(reloaded.begin() + 1);  // "strict" is gone.
  for (PolicySettings& policy : reloaded) policy.cache.reset();
  orchestrator_->ReplacePolicies(reloaded);

  absl::StatusOr<CacheStatsReport> stats = orchestrator_->cache_admin().Stats({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->policies.size(), 1u);
  EXPECT_EQ(stats->policies[0].policy, "strict");
  EXPECT_FALSE(stats->policies[0].enabled);
  EXPECT_EQ(stats->policies[0].stats.entries, 1);
  absl::StatusOr<cache::AnswerCachePurgeResult> purged =
      orchestrator_->cache_admin().Purge({.policy = "strict"});
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->removed, 1);
}

TEST_F(AnswerCacheAdminTest, MalformedRequestsAreInvalidAndRemoveNothing) {
  Make();
  ASSERT_FALSE(AskIsHit("capital of France?", "acme"));
  const std::vector<std::pair<cache::AnswerCachePurge, std::string>> cases = {
      {{}, "set all"},
      {{.tenant = "acme", .all = true}, "takes no filter"},
      {{.policy = ""}, "policy is empty"},
      {{.older_than = absl::ZeroDuration()}, "older_than must be a finite duration > 0"},
      {{.older_than = absl::Seconds(-1)}, "older_than must be a finite duration > 0"},
  };
  for (const auto& [purge, message] : cases) {
    absl::StatusOr<cache::AnswerCachePurgeResult> purged =
        orchestrator_->cache_admin().Purge(purge);
    EXPECT_EQ(purged.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(purged.status().message(), HasSubstr(message));
  }
  EXPECT_EQ(orchestrator_->cache_admin().Stats({.policy = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(AskIsHit("capital of France?", "acme"));
}

}  // namespace
}  // namespace cascade::orchestrator
