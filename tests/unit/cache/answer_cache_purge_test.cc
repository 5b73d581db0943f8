// The answer cache store's purge (what the orchestrator's AnswerCacheAdmin.Purge runs): each
// filter alone (policy, tenant, age) and together, tenants kept apart, the counts per policy
// and in the stats, entries gone from the semantic index too, and a purge that would wipe
// the store by mistake (no filter) or that is malformed refused with nothing removed. Time
// is a fake clock: no sleeps.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/cache/lib/answer_cache.h"
#include "tests/unit/cache/unit_vectors.h"

namespace cascade::cache {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

using testing::kDimension;
using testing::kWeather;
using testing::Unit;

const AnswerCacheScope kAcme{"default", "acme"};
const AnswerCacheScope kGlobex{"default", "globex"};
const AnswerCacheScope kAcmeStrict{"strict", "acme"};
const AnswerCacheScope kAnonymous{"default", ""};

class AnswerCachePurgeTest : public ::testing::Test {
 protected:
  AnswerCachePurgeTest() {
    AnswerCacheOptions options;
    options.embedding_dimension = kDimension;
    options.clock = [this] { return now_; };
    auto cache = AnswerCache::Create(std::move(options));
    EXPECT_TRUE(cache.ok()) << cache.status();
    cache_ = *std::move(cache);
  }

  void Keep(const AnswerCacheScope& scope, const std::string& key) {
    AnswerCacheInsert insert;
    insert.scope = scope;
    insert.exact_key = key;
    insert.query_text = "weather in Paris";
    insert.embedding = kWeather;
    insert.answer.text = "sunny";
    ASSERT_TRUE(cache_->Insert(insert).ok());
  }

  bool Hits(const AnswerCacheScope& scope, const std::string& key) {
    AnswerCacheQuery query;
    query.scope = scope;
    query.exact_key = key;
    absl::StatusOr<AnswerCacheLookup> lookup = cache_->Lookup(query);
    EXPECT_TRUE(lookup.ok()) << lookup.status();
    return lookup.ok() && lookup->hit();
  }

  bool HitsSemantically(const AnswerCacheScope& scope) {
    AnswerCacheQuery query;
    query.scope = scope;
    query.query_text = "weather in Paris";
    query.embedding = kWeather;
    absl::StatusOr<AnswerCacheLookup> lookup = cache_->Lookup(query);
    EXPECT_TRUE(lookup.ok()) << lookup.status();
    return lookup.ok() && lookup->outcome == AnswerCacheOutcome::kSemanticHit;
  }

  AnswerCachePurgeResult MustPurge(const AnswerCachePurge& purge) {
    absl::StatusOr<AnswerCachePurgeResult> result = cache_->Purge(purge);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AnswerCachePurgeResult{};
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  std::unique_ptr<AnswerCache> cache_;
};

TEST_F(AnswerCachePurgeTest, ByTenantLeavesOtherTenantsEntries) {
  Keep(kAcme, "k1");
  Keep(kAcme, "k2");
  Keep(kAcmeStrict, "k1");
  Keep(kGlobex, "k1");
  Keep(kAnonymous, "k1");

  const AnswerCachePurgeResult result = MustPurge({.tenant = "acme"});
  EXPECT_EQ(result.removed, 3);
  EXPECT_THAT(result.removed_by_policy, ElementsAre(Pair("default", 2), Pair("strict", 1)));
  EXPECT_FALSE(Hits(kAcme, "k1"));
  EXPECT_FALSE(Hits(kAcmeStrict, "k1"));
  EXPECT_TRUE(Hits(kGlobex, "k1"));
  EXPECT_TRUE(HitsSemantically(kGlobex));
  EXPECT_TRUE(Hits(kAnonymous, "k1"));
  EXPECT_EQ(cache_->Stats().entries, 2);
}

TEST_F(AnswerCachePurgeTest, TheAnonymousTenantIsATenantOfItsOwn) {
  Keep(kAcme, "k1");
  Keep(kAnonymous, "k1");
  EXPECT_EQ(MustPurge({.tenant = ""}).removed, 1);
  EXPECT_FALSE(Hits(kAnonymous, "k1"));
  EXPECT_TRUE(Hits(kAcme, "k1"));
}

TEST_F(AnswerCachePurgeTest, ByPolicyLeavesOtherPolicies) {
  Keep(kAcme, "k1");
  Keep(kGlobex, "k1");
  Keep(kAcmeStrict, "k1");
  const AnswerCachePurgeResult result = MustPurge({.policy = "default"});
  EXPECT_EQ(result.removed, 2);
  EXPECT_THAT(result.removed_by_policy, ElementsAre(Pair("default", 2)));
  EXPECT_FALSE(Hits(kAcme, "k1"));
  EXPECT_FALSE(Hits(kGlobex, "k1"));
  EXPECT_TRUE(Hits(kAcmeStrict, "k1"));
}

TEST_F(AnswerCachePurgeTest, ByAgeRemovesEntriesAtLeastThatOld) {
  Keep(kAcme, "old");
  now_ += absl::Minutes(30);
  Keep(kAcme, "middle");
  now_ += absl::Minutes(30);
  Keep(kAcme, "new");
  // Ages now: 60, 30 and 0 minutes; "at least 30 minutes" takes the first two.
  EXPECT_EQ(MustPurge({.older_than = absl::Minutes(30)}).removed, 2);
  EXPECT_FALSE(Hits(kAcme, "old"));
  EXPECT_FALSE(Hits(kAcme, "middle"));
  EXPECT_TRUE(Hits(kAcme, "new"));
  // A hit does not make an entry younger: age counts from the insert.
  now_ += absl::Minutes(10);
  EXPECT_EQ(MustPurge({.older_than = absl::Minutes(10)}).removed, 1);
}

TEST_F(AnswerCachePurgeTest, FiltersCombineAsAnd) {
  Keep(kAcme, "old");
  Keep(kAcmeStrict, "old");
  Keep(kGlobex, "old");
  now_ += absl::Hours(2);
  Keep(kAcme, "new");
  Keep(kGlobex, "new");

  // acme's entries under "default" kept over an hour ago: one.
  const AnswerCachePurgeResult result =
      MustPurge({.policy = "default", .tenant = "acme", .older_than = absl::Hours(1)});
  EXPECT_EQ(result.removed, 1);
  EXPECT_FALSE(Hits(kAcme, "old"));
  EXPECT_TRUE(Hits(kAcme, "new"));
  EXPECT_TRUE(Hits(kAcmeStrict, "old"));
  EXPECT_TRUE(Hits(kGlobex, "old"));

  // Every tenant's entries over an hour old, any policy: strict/acme's and globex's old ones.
  EXPECT_EQ(MustPurge({.older_than = absl::Hours(1)}).removed, 2);
  EXPECT_TRUE(Hits(kAcme, "new"));
  EXPECT_TRUE(Hits(kGlobex, "new"));
  EXPECT_EQ(cache_->Stats().entries, 2);
}

TEST_F(AnswerCachePurgeTest, ANonMatchingFilterRemovesNothing) {
  Keep(kAcme, "k1");
  const AnswerCachePurgeResult result = MustPurge({.tenant = "initech"});
  EXPECT_EQ(result.removed, 0);
  EXPECT_TRUE(result.removed_by_policy.empty());
  EXPECT_EQ(MustPurge({.policy = "nonesuch"}).removed, 0);
  EXPECT_EQ(MustPurge({.older_than = absl::Hours(1)}).removed, 0);
  EXPECT_TRUE(Hits(kAcme, "k1"));
}

TEST_F(AnswerCachePurgeTest, AllRemovesEveryEntry) {
  Keep(kAcme, "k1");
  Keep(kGlobex, "k1");
  Keep(kAcmeStrict, "k1");
  const AnswerCachePurgeResult result = MustPurge({.all = true});
  EXPECT_EQ(result.removed, 3);
  EXPECT_THAT(result.removed_by_policy, ElementsAre(Pair("default", 2), Pair("strict", 1)));
  EXPECT_EQ(cache_->Stats().entries, 0);
  EXPECT_EQ(cache_->Stats().bytes, 0);
  EXPECT_EQ(cache_->StoreTotals().entries, 0);
  EXPECT_FALSE(HitsSemantically(kGlobex));
  // The store still works after it.
  Keep(kGlobex, "k1");
  EXPECT_TRUE(Hits(kGlobex, "k1"));
  EXPECT_TRUE(HitsSemantically(kGlobex));
}

TEST_F(AnswerCachePurgeTest, PurgedEntriesAreCountedPerScopeAndNotAsEvictions) {
  Keep(kAcme, "k1");
  Keep(kAcme, "k2");
  Keep(kGlobex, "k1");
  ASSERT_EQ(MustPurge({.tenant = "acme"}).removed, 2);
  const AnswerCacheStats acme = cache_->Stats({.tenant = "acme"});
  EXPECT_EQ(acme.purged, 2);
  EXPECT_EQ(acme.entries, 0);
  EXPECT_EQ(acme.bytes, 0);
  EXPECT_EQ(acme.evictions, 0);
  EXPECT_EQ(acme.expirations, 0);
  EXPECT_EQ(acme.inserts, 2);
  EXPECT_EQ(cache_->Stats({.tenant = "globex"}).purged, 0);
  EXPECT_EQ(cache_->StoreTotals().evicted_or_expired, 0);
}

TEST_F(AnswerCachePurgeTest, WithoutAFilterItNeedsAll) {
  Keep(kAcme, "k1");
  absl::StatusOr<AnswerCachePurgeResult> result = cache_->Purge({});
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("set all"));
  EXPECT_TRUE(Hits(kAcme, "k1"));
}

TEST_F(AnswerCachePurgeTest, MalformedPurgesAreRefusedAndRemoveNothing) {
  Keep(kAcme, "k1");
  const std::vector<std::pair<AnswerCachePurge, std::string>> cases = {
      {{.tenant = "acme", .all = true}, "takes no filter"},
      {{.policy = "", .tenant = std::nullopt}, "policy is empty"},
      {{.older_than = absl::ZeroDuration()}, "older_than must be a finite duration > 0"},
      {{.older_than = absl::Seconds(-5)}, "got -5s"},
      {{.older_than = absl::InfiniteDuration()}, "older_than must be a finite duration > 0"},
  };
  for (const auto& [purge, message] : cases) {
    absl::StatusOr<AnswerCachePurgeResult> result = cache_->Purge(purge);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(result.status().message(), HasSubstr(message));
  }
  EXPECT_TRUE(Hits(kAcme, "k1"));
  EXPECT_EQ(cache_->Stats().purged, 0);
}

TEST_F(AnswerCachePurgeTest, StatsByPolicySplitsTheCountersOfTheScopesAskedFor) {
  Keep(kAcme, "k1");
  Keep(kGlobex, "k1");
  Keep(kAcmeStrict, "k1");
  EXPECT_TRUE(Hits(kAcme, "k1"));
  EXPECT_FALSE(Hits(kAcmeStrict, "missing"));

  const std::map<std::string, AnswerCacheStats> all = cache_->StatsByPolicy();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all.at("default").entries, 2);
  EXPECT_EQ(all.at("default").hits_exact, 1);
  EXPECT_EQ(all.at("strict").entries, 1);
  EXPECT_EQ(all.at("strict").misses, 1);

  const std::map<std::string, AnswerCacheStats> globex =
      cache_->StatsByPolicy({.tenant = "globex"});
  ASSERT_EQ(globex.size(), 1u);
  EXPECT_EQ(globex.at("default").entries, 1);
  EXPECT_EQ(globex.at("default").hits_exact, 0);
  EXPECT_TRUE(cache_->StatsByPolicy({.tenant = "initech"}).empty());
}

}  // namespace
}  // namespace cascade::cache
