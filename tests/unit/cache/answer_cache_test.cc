#include "services/cache/lib/answer_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/unit/cache/unit_vectors.h"

namespace cascade::cache {
namespace {

using ::testing::HasSubstr;

using testing::kDimension;
using testing::kWeather;
using testing::Unit;

// Similarities to kWeather: kNearWeather 0.995, kFarWeather 0.707, kOther 0.
const std::vector<float> kNearWeather = Unit({1, 0.1f, 0, 0});
const std::vector<float> kFarWeather = Unit({1, 1, 0, 0});
const std::vector<float> kOther = Unit({0, 0, 1, 0});

const AnswerCacheScope kScope{"default", "acme"};

AnswerCacheInsert MakeInsert(const AnswerCacheScope& scope, const std::string& key,
                             const std::string& query_text, const std::vector<float>& embedding,
                             const std::string& answer_text, const std::string& context = "") {
  AnswerCacheInsert insert;
  insert.scope = scope;
  insert.exact_key = key;
  insert.context_key = context;
  insert.query_text = query_text;
  insert.embedding = embedding;
  insert.answer.text = answer_text;
  insert.answer.model = "small";
  insert.answer.final_tier = "tier0";
  insert.answer.finish_reason = "stop";
  insert.answer.prompt_tokens = 12;
  insert.answer.completion_tokens = 34;
  insert.answer.cost_pico_usd = 5'600'000;
  insert.answer.payload = "opaque";
  return insert;
}

AnswerCacheQuery ExactQuery(const AnswerCacheScope& scope, const std::string& key) {
  AnswerCacheQuery query;
  query.scope = scope;
  query.exact_key = key;
  return query;
}

AnswerCacheQuery SemanticQuery(const AnswerCacheScope& scope, const std::string& query_text,
                               const std::vector<float>& embedding, float threshold = 0.9f,
                               const std::string& context = "") {
  AnswerCacheQuery query;
  query.scope = scope;
  query.context_key = context;
  query.query_text = query_text;
  query.embedding = embedding;
  query.similarity_threshold = threshold;
  return query;
}

class AnswerCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<AnswerCache> MakeCache(AnswerCacheOptions options = {}) {
    if (options.embedding_dimension == 0) options.embedding_dimension = kDimension;
    options.clock = [this] { return now_; };
    absl::StatusOr<std::unique_ptr<AnswerCache>> cache = AnswerCache::Create(std::move(options));
    EXPECT_TRUE(cache.ok()) << cache.status();
    return cache.ok() ? *std::move(cache) : nullptr;
  }

  AnswerCacheLookup MustLookup(AnswerCache& cache, const AnswerCacheQuery& query) {
    absl::StatusOr<AnswerCacheLookup> result = cache.Lookup(query);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AnswerCacheLookup{};
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

TEST_F(AnswerCacheTest, ExactKeyHitsAndOtherKeysMiss) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny")).ok());

  const AnswerCacheLookup hit = MustLookup(*cache, ExactQuery(kScope, "k1"));
  EXPECT_EQ(hit.outcome, AnswerCacheOutcome::kExactHit);
  ASSERT_TRUE(hit.stored.has_value());
  EXPECT_EQ(hit.stored->answer.text, "sunny");
  EXPECT_EQ(hit.stored->answer.model, "small");
  EXPECT_EQ(hit.stored->answer.final_tier, "tier0");
  EXPECT_EQ(hit.stored->answer.finish_reason, "stop");
  EXPECT_EQ(hit.stored->answer.prompt_tokens, 12);
  EXPECT_EQ(hit.stored->answer.completion_tokens, 34);
  EXPECT_EQ(hit.stored->answer.cost_pico_usd, 5'600'000);
  EXPECT_EQ(hit.stored->answer.payload, "opaque");
  EXPECT_EQ(hit.stored->query_text, "weather in Paris");
  EXPECT_EQ(hit.stored->created, now_);

  const AnswerCacheLookup miss = MustLookup(*cache, ExactQuery(kScope, "k2"));
  EXPECT_FALSE(miss.hit());
  EXPECT_FALSE(miss.stored.has_value());

  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.hits_exact, 1);
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.inserts, 1);
  EXPECT_EQ(stats.entries, 1);
  EXPECT_EQ(stats.bytes, static_cast<int64_t>(cache->EntryBytes(
                             MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny"))));
}

TEST_F(AnswerCacheTest, SemanticHitAboveThresholdReportsSimilarity) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny")).ok());
  const AnswerCacheLookup result =
      MustLookup(*cache, SemanticQuery(kScope, "how is the weather in Paris", kNearWeather));
  EXPECT_EQ(result.outcome, AnswerCacheOutcome::kSemanticHit);
  ASSERT_TRUE(result.best_similarity.has_value());
  EXPECT_NEAR(*result.best_similarity, 0.995f, 1e-3);
  ASSERT_TRUE(result.stored.has_value());
  EXPECT_EQ(result.stored->answer.text, "sunny");
  EXPECT_TRUE(result.refused_by.empty());
  EXPECT_EQ(cache->Stats().hits_semantic, 1);
}

TEST_F(AnswerCacheTest, ThresholdMissStillReportsTheBestSimilarity) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny")).ok());
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k2", "a recipe", kOther, "soup")).ok());
  const AnswerCacheLookup result =
      MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kFarWeather, 0.9f));
  EXPECT_FALSE(result.hit());
  ASSERT_TRUE(result.best_similarity.has_value());
  EXPECT_NEAR(*result.best_similarity, 0.7071f, 1e-3);
  EXPECT_EQ(result.refused_by, "similarity");
  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.rejections.at("similarity"), 1);
  // The same candidate passes a lower threshold.
  EXPECT_TRUE(
      MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kFarWeather, 0.7f)).hit());
}

// The threshold that counts is the one of the route the cached entry was answered under:
// a stricter one turns a hit into a miss (counted as "similarity"), a looser one a miss into
// a hit, and the guard still has the last word.
TEST_F(AnswerCacheTest, TheEntrysRouteThresholdTurnsHitsIntoMissesAndBack) {
  auto cache = MakeCache();
  AnswerCacheInsert weather = MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny");
  weather.answer.route = "weather";
  ASSERT_TRUE(cache->Insert(weather).ok());
  AnswerCacheInsert recipe = MakeInsert(kScope, "k2", "soup for 4 people", kOther, "soup");
  recipe.answer.route = "recipes";
  ASSERT_TRUE(cache->Insert(recipe).ok());
  const absl::flat_hash_map<std::string, double> routes = {{"weather", 0.999}, {"recipes", 0.7}};

  AnswerCacheQuery near = SemanticQuery(kScope, "how is the weather in Paris", kNearWeather, 0.9f);
  ASSERT_TRUE(MustLookup(*cache, near).hit());  // 0.995 >= 0.9
  near.route_similarity_thresholds = &routes;
  const AnswerCacheLookup stricter = MustLookup(*cache, near);
  EXPECT_FALSE(stricter.hit());
  EXPECT_EQ(stricter.refused_by, "similarity");
  EXPECT_THAT(stricter.refusal_reason, HasSubstr("(route weather)"));
  EXPECT_EQ(cache->Stats().rejections.at("similarity"), 1);

  // 0.707 from the recipe: a miss at 0.9, a hit at its route's 0.7.
  const std::vector<float> far_recipe = Unit({0, 0, 1, 1});
  AnswerCacheQuery far = SemanticQuery(kScope, "soup for 4 people please", far_recipe, 0.9f);
  EXPECT_FALSE(MustLookup(*cache, far).hit());
  far.route_similarity_thresholds = &routes;
  const AnswerCacheLookup looser = MustLookup(*cache, far);
  ASSERT_TRUE(looser.hit());
  EXPECT_EQ(looser.stored->answer.text, "soup");
  EXPECT_EQ(looser.stored->answer.route, "recipes");
  // The guard still refuses what differs in a number, whatever the threshold.
  far.query_text = "soup for 6 people please";
  EXPECT_EQ(MustLookup(*cache, far).refused_by, "numbers");

  const absl::flat_hash_map<std::string, double> broken = {
      {"weather", std::numeric_limits<double>::infinity()}};
  near.route_similarity_thresholds = &broken;
  EXPECT_THAT(cache->Lookup(near).status().message(),
              HasSubstr("route_similarity_thresholds[weather] is not finite"));
}

TEST_F(AnswerCacheTest, NoCandidateIsAMissWithoutSimilarityOrRejection) {
  auto cache = MakeCache();
  const AnswerCacheLookup result = MustLookup(*cache, SemanticQuery(kScope, "hi", kWeather));
  EXPECT_FALSE(result.hit());
  EXPECT_FALSE(result.best_similarity.has_value());
  EXPECT_TRUE(result.refused_by.empty());
  EXPECT_TRUE(cache->Stats().rejections.empty());
  EXPECT_EQ(cache->Stats().misses, 1);
}

TEST_F(AnswerCacheTest, EachGuardRejectionIsNamedAndCounted) {
  auto cache = MakeCache();
  ASSERT_TRUE(
      cache->Insert(MakeInsert(kScope, "k1", "convert 5 km to miles", kWeather, "3.1")).ok());
  ASSERT_TRUE(cache
                  ->Insert(MakeInsert({"default", "other"}, "k1", "should I take an umbrella",
                                      kWeather, "yes"))
                  .ok());
  ASSERT_TRUE(cache
                  ->Insert(MakeInsert({"default", "third"}, "k1", "what is the weather in Paris",
                                      kWeather, "sunny"))
                  .ok());

  const AnswerCacheLookup numbers =
      MustLookup(*cache, SemanticQuery(kScope, "convert 50 km to miles", kNearWeather));
  EXPECT_FALSE(numbers.hit());
  EXPECT_EQ(numbers.refused_by, "numbers");
  EXPECT_FALSE(numbers.refusal_reason.empty());
  EXPECT_TRUE(numbers.best_similarity.has_value());

  const AnswerCacheLookup negation = MustLookup(
      *cache, SemanticQuery({"default", "other"}, "should I not take an umbrella", kNearWeather));
  EXPECT_EQ(negation.refused_by, "negation");

  const AnswerCacheLookup entities = MustLookup(
      *cache, SemanticQuery({"default", "third"}, "what is the weather in London", kNearWeather));
  EXPECT_EQ(entities.refused_by, "entities");

  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.rejections.at("numbers"), 1);
  EXPECT_EQ(stats.rejections.at("negation"), 1);
  EXPECT_EQ(stats.rejections.at("entities"), 1);
  EXPECT_EQ(stats.rejections.count("similarity"), 0u);
  EXPECT_EQ(stats.misses, 3);
  EXPECT_EQ(cache->Stats({.policy = std::nullopt, .tenant = "other"}).rejections.size(), 1u);
}

TEST_F(AnswerCacheTest, GuardOptionsComeWithEachLookup) {
  auto cache = MakeCache();
  ASSERT_TRUE(
      cache->Insert(MakeInsert(kScope, "k1", "convert 5 km to miles", kWeather, "3.1")).ok());
  AnswerCacheQuery query = SemanticQuery(kScope, "convert 50 km to miles", kNearWeather);
  EXPECT_FALSE(MustLookup(*cache, query).hit());
  query.guard.check_numbers = false;
  EXPECT_TRUE(MustLookup(*cache, query).hit());
}

TEST_F(AnswerCacheTest, OtherTenantNeverSeesEntries) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny")).ok());
  const AnswerCacheScope other_tenant{"default", "globex"};
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(other_tenant, "k1")).hit());
  const AnswerCacheLookup semantic =
      MustLookup(*cache, SemanticQuery(other_tenant, "weather in Paris", kWeather));
  EXPECT_FALSE(semantic.hit());
  EXPECT_FALSE(semantic.best_similarity.has_value());  // not even a candidate
  // The owner still hits.
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "k1")).hit());
  EXPECT_EQ(cache->Stats({.policy = std::nullopt, .tenant = "globex"}).misses, 2);
  EXPECT_EQ(cache->Stats({.policy = std::nullopt, .tenant = "acme"}).hits_exact, 1);
}

TEST_F(AnswerCacheTest, OtherPolicyNeverSeesEntries) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "sunny")).ok());
  const AnswerCacheScope other_policy{"strict", "acme"};
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(other_policy, "k1")).hit());
  EXPECT_FALSE(MustLookup(*cache, SemanticQuery(other_policy, "weather in Paris", kWeather)).hit());
  // Keys that would collide if the scope were joined naively stay apart.
  const AnswerCacheScope shifted{"defaulta", "cme"};
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(shifted, "k1")).hit());
}

TEST_F(AnswerCacheTest, SemanticLookupNeedsTheSameContextKey) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache
                  ->Insert(MakeInsert(kScope, "k1", "and in Paris?", kWeather, "sunny",
                                      /*context=*/"history-a"))
                  .ok());
  EXPECT_FALSE(
      MustLookup(*cache, SemanticQuery(kScope, "and in Paris?", kWeather, 0.9f, "history-b"))
          .hit());
  EXPECT_FALSE(
      MustLookup(*cache, SemanticQuery(kScope, "and in Paris?", kWeather, 0.9f, "")).hit());
  EXPECT_TRUE(
      MustLookup(*cache, SemanticQuery(kScope, "and in Paris?", kWeather, 0.9f, "history-a"))
          .hit());
}

TEST_F(AnswerCacheTest, EntriesExpireAfterTheirTtl) {
  AnswerCacheOptions options;
  options.default_ttl = absl::Minutes(10);
  auto cache = MakeCache(options);
  ASSERT_TRUE(
      cache->Insert(MakeInsert(kScope, "default-ttl", "weather in Paris", kWeather, "a")).ok());
  AnswerCacheInsert short_lived = MakeInsert(kScope, "short", "a recipe", kOther, "b");
  short_lived.ttl = absl::Minutes(1);
  ASSERT_TRUE(cache->Insert(short_lived).ok());

  now_ += absl::Seconds(59);
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "short")).hit());
  now_ += absl::Seconds(1);
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(kScope, "short")).hit());
  EXPECT_EQ(cache->Stats().expirations, 1);
  EXPECT_EQ(cache->Stats().entries, 1);  // removed when met
  EXPECT_TRUE(MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kWeather)).hit());

  now_ += absl::Minutes(9);
  const AnswerCacheLookup expired =
      MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kWeather));
  EXPECT_FALSE(expired.hit());
  EXPECT_FALSE(expired.best_similarity.has_value());  // an expired entry is no candidate
  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.expirations, 2);
  EXPECT_EQ(stats.entries, 0);
  EXPECT_EQ(stats.bytes, 0);
  const AnswerCache::Totals totals = cache->StoreTotals();
  EXPECT_EQ(totals.evicted_or_expired, 2);
  EXPECT_EQ(totals.entries, 0);
  EXPECT_EQ(totals.bytes, 0);
}

TEST_F(AnswerCacheTest, SweepRemovesOnlyExpiredEntries) {
  auto cache = MakeCache();
  for (int i = 0; i < 3; ++i) {
    AnswerCacheInsert insert = MakeInsert(kScope, absl::StrCat("k", i), "q", kWeather, "a");
    insert.ttl = absl::Minutes(i + 1);
    ASSERT_TRUE(cache->Insert(insert).ok());
  }
  now_ += absl::Minutes(2);
  EXPECT_EQ(cache->SweepExpired(), 2u);
  EXPECT_EQ(cache->Stats().expirations, 2);
  EXPECT_EQ(cache->Stats().entries, 1);
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "k2")).hit());
}

TEST_F(AnswerCacheTest, EvictsTheLeastRecentlyUsedWhenFull) {
  AnswerCacheOptions options;
  options.max_entries = 3;
  auto cache = MakeCache(options);
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_TRUE(cache->Insert(MakeInsert(kScope, key, key, kWeather, key)).ok());
  }
  // A hit makes "a" the most recently used: "b" is now the least.
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "a")).hit());
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "d", "d", kOther, "d")).ok());
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(kScope, "b")).hit());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "a")).hit());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "c")).hit());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "d")).hit());
  // The lookups above left "a" least recent (d, c, a): the next insert, of any scope, evicts it.
  ASSERT_TRUE(cache->Insert(MakeInsert({"default", "z"}, "z", "z", kOther, "z")).ok());
  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.evictions, 2);
  EXPECT_EQ(stats.entries, 3);
  // The store-wide totals agree with the scopes' sums.
  const AnswerCache::Totals totals = cache->StoreTotals();
  EXPECT_EQ(totals.entries, 3);
  EXPECT_EQ(totals.bytes, stats.bytes);
  EXPECT_EQ(totals.evicted_or_expired, 2);
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(kScope, "a")).hit());
}

TEST_F(AnswerCacheTest, SemanticHitRefreshesRecency) {
  AnswerCacheOptions options;
  options.max_entries = 2;
  auto cache = MakeCache(options);
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "old", "weather in Paris", kWeather, "a")).ok());
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "new", "a recipe", kOther, "b")).ok());
  EXPECT_TRUE(MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kNearWeather)).hit());
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "third", "x", kFarWeather, "c")).ok());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "old")).hit());
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(kScope, "new")).hit());
}

TEST_F(AnswerCacheTest, EvictsByApproximateBytes) {
  const AnswerCacheInsert probe = MakeInsert(kScope, "a", "q", kWeather, std::string(1000, 'x'));
  AnswerCacheOptions options;
  auto sizing = MakeCache();
  const size_t entry_bytes = sizing->EntryBytes(probe);
  options.max_bytes = 2 * entry_bytes + entry_bytes / 2;  // room for two
  auto cache = MakeCache(options);
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_TRUE(cache->Insert(MakeInsert(kScope, key, "q", kWeather, std::string(1000, 'x'))).ok());
  }
  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.entries, 2);
  EXPECT_EQ(stats.evictions, 1);
  EXPECT_LE(stats.bytes, static_cast<int64_t>(options.max_bytes));
  EXPECT_FALSE(MustLookup(*cache, ExactQuery(kScope, "a")).hit());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "b")).hit());

  // An entry larger than the whole store is refused, and evicts nothing.
  const absl::Status too_big =
      cache->Insert(MakeInsert(kScope, "big", "q", kWeather, std::string(3 * entry_bytes, 'x')));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.message(), HasSubstr("max_bytes"));
  EXPECT_EQ(cache->Stats().entries, 2);
}

TEST_F(AnswerCacheTest, InsertOfAnExistingKeyReplacesIt) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "weather in Paris", kWeather, "old")).ok());
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k1", "a recipe", kOther, "new")).ok());
  const AnswerCacheLookup exact = MustLookup(*cache, ExactQuery(kScope, "k1"));
  ASSERT_TRUE(exact.stored.has_value());
  EXPECT_EQ(exact.stored->answer.text, "new");
  // The old embedding went with the old entry.
  const AnswerCacheLookup semantic =
      MustLookup(*cache, SemanticQuery(kScope, "weather in Paris", kWeather));
  EXPECT_FALSE(semantic.hit());
  EXPECT_NEAR(semantic.best_similarity.value_or(-1), 0.0f, 1e-6);
  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.entries, 1);
  EXPECT_EQ(stats.inserts, 2);
  EXPECT_EQ(stats.evictions, 0);
}

TEST_F(AnswerCacheTest, StatsFilterByScope) {
  auto cache = MakeCache();
  ASSERT_TRUE(cache->Insert(MakeInsert(kScope, "k", "q", kWeather, "a")).ok());
  ASSERT_TRUE(cache->Insert(MakeInsert({"strict", "acme"}, "k", "q", kWeather, "a")).ok());
  ASSERT_TRUE(cache->Insert(MakeInsert({"strict", "globex"}, "k", "q", kWeather, "a")).ok());
  EXPECT_EQ(cache->Stats().entries, 3);
  EXPECT_EQ(cache->Stats({.policy = "strict", .tenant = std::nullopt}).entries, 2);
  EXPECT_EQ(cache->Stats({.policy = std::nullopt, .tenant = "acme"}).entries, 2);
  EXPECT_EQ(cache->Stats({.policy = "strict", .tenant = "acme"}).inserts, 1);
  EXPECT_EQ(cache->Stats({.policy = "none", .tenant = std::nullopt}).inserts, 0);
}

TEST_F(AnswerCacheTest, InvalidOptionsNameTheField) {
  const auto create = [](AnswerCacheOptions options) {
    return AnswerCache::Create(std::move(options)).status();
  };
  AnswerCacheOptions options;
  EXPECT_THAT(create(options).message(), HasSubstr("embedding_dimension"));
  options.embedding_dimension = 8;
  EXPECT_TRUE(create(options).ok());
  AnswerCacheOptions no_entries = options;
  no_entries.max_entries = 0;
  EXPECT_THAT(create(no_entries).message(), HasSubstr("max_entries"));
  AnswerCacheOptions no_bytes = options;
  no_bytes.max_bytes = 0;
  EXPECT_THAT(create(no_bytes).message(), HasSubstr("max_bytes"));
  AnswerCacheOptions no_ttl = options;
  no_ttl.default_ttl = absl::ZeroDuration();
  EXPECT_THAT(create(no_ttl).message(), HasSubstr("default_ttl"));
  AnswerCacheOptions bad_share = options;
  bad_share.index.max_tombstone_share = 1.0;
  EXPECT_THAT(create(bad_share).message(), HasSubstr("max_tombstone_share"));
  for (const auto& bad : {no_entries, no_bytes, no_ttl, bad_share}) {
    EXPECT_EQ(create(bad).code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(AnswerCacheTest, InvalidInputsAreRefusedWithTheFieldNamed) {
  auto cache = MakeCache();
  const auto insert_error = [&](const AnswerCacheInsert& insert) {
    const absl::Status status = cache->Insert(insert);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    return std::string(status.message());
  };
  const std::vector<float> wrong_length = Unit({1, 0, 0, 0, 0});
  const std::vector<float> not_finite = {std::numeric_limits<float>::quiet_NaN(), 0, 0, 0};
  const std::vector<float> infinite = {std::numeric_limits<float>::infinity(), 0, 0, 0};
  const std::vector<float> not_normalised = {1, 1, 0, 0};

  EXPECT_THAT(insert_error(MakeInsert({"", "acme"}, "k", "q", kWeather, "a")),
              HasSubstr("scope.policy"));
  EXPECT_THAT(insert_error(MakeInsert(kScope, "", "q", kWeather, "a")), HasSubstr("exact_key"));
  EXPECT_THAT(insert_error(MakeInsert(kScope, "k", "q", wrong_length, "a")),
              HasSubstr("embedding has 5 values, expected 4"));
  EXPECT_THAT(insert_error(MakeInsert(kScope, "k", "q", not_finite, "a")),
              HasSubstr("embedding[0]"));
  EXPECT_THAT(insert_error(MakeInsert(kScope, "k", "q", infinite, "a")), HasSubstr("embedding[0]"));
  EXPECT_THAT(insert_error(MakeInsert(kScope, "k", "q", not_normalised, "a")),
              HasSubstr("normalised"));
  AnswerCacheInsert zero_ttl = MakeInsert(kScope, "k", "q", kWeather, "a");
  zero_ttl.ttl = absl::ZeroDuration();
  EXPECT_THAT(insert_error(zero_ttl), HasSubstr("ttl"));
  EXPECT_EQ(cache->Stats().inserts, 0);

  const auto lookup_error = [&](const AnswerCacheQuery& query) {
    const absl::Status status = cache->Lookup(query).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    return std::string(status.message());
  };
  EXPECT_THAT(lookup_error(ExactQuery({"", "acme"}, "k")), HasSubstr("scope.policy"));
  EXPECT_THAT(lookup_error(SemanticQuery(kScope, "q", wrong_length)), HasSubstr("embedding"));
  EXPECT_THAT(lookup_error(SemanticQuery(kScope, "q", not_finite)), HasSubstr("embedding[0]"));
  EXPECT_THAT(
      lookup_error(SemanticQuery(kScope, "q", kWeather, std::numeric_limits<float>::quiet_NaN())),
      HasSubstr("similarity_threshold"));
  EXPECT_EQ(cache->Stats().misses, 0);

  // An insert without an embedding is exact-only, and valid.
  AnswerCacheInsert exact_only = MakeInsert(kScope, "k", "q", {}, "a");
  EXPECT_TRUE(cache->Insert(exact_only).ok());
  EXPECT_TRUE(MustLookup(*cache, ExactQuery(kScope, "k")).hit());
  EXPECT_FALSE(
      MustLookup(*cache, SemanticQuery(kScope, "q", kWeather)).best_similarity.has_value());
}

TEST_F(AnswerCacheTest, ConcurrentInsertsAndLookupsKeepCountsConsistent) {
  AnswerCacheOptions options;
  options.max_entries = 1000;           // forces evictions: 4 x 400 inserts
  options.index.hnsw_min_entries = 64;  // and graph builds, rebuilds and tombstones
  auto cache = MakeCache(options);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 400;
  std::atomic<int64_t> hits{0};
  std::atomic<int64_t> lookups{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const AnswerCacheScope scope{"default", absl::StrCat("tenant", t % 2)};
      for (int i = 0; i < kPerThread; ++i) {
        const float angle = static_cast<float>(t * kPerThread + i);
        const std::vector<float> embedding =
            Unit({std::cos(angle), std::sin(angle), 0.5f, static_cast<float>(t)});
        const std::string key = absl::StrCat("t", t, "-", i);
        ASSERT_TRUE(cache->Insert(MakeInsert(scope, key, "q", embedding, key)).ok());
        for (const AnswerCacheQuery& query :
             {ExactQuery(scope, key), SemanticQuery(scope, "q", embedding, 0.5f)}) {
          absl::StatusOr<AnswerCacheLookup> result = cache->Lookup(query);
          ASSERT_TRUE(result.ok());
          ++lookups;
          if (result->hit()) ++hits;
        }
        if (i % 100 == 0) (void)cache->Stats();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const AnswerCacheStats stats = cache->Stats();
  EXPECT_EQ(stats.inserts, kThreads * kPerThread);
  EXPECT_EQ(stats.hits_exact + stats.hits_semantic + stats.misses, lookups.load());
  EXPECT_EQ(stats.hits_exact + stats.hits_semantic, hits.load());
  EXPECT_EQ(stats.entries, 1000);
  EXPECT_EQ(stats.inserts - stats.evictions, stats.entries);
  const AnswerCacheStats tenant0 = cache->Stats({.policy = std::nullopt, .tenant = "tenant0"});
  const AnswerCacheStats tenant1 = cache->Stats({.policy = std::nullopt, .tenant = "tenant1"});
  EXPECT_EQ(tenant0.entries + tenant1.entries, stats.entries);
  EXPECT_EQ(tenant0.bytes + tenant1.bytes, stats.bytes);
}

}  // namespace
}  // namespace cascade::cache
