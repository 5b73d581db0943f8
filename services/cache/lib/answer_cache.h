#pragma once

// The semantic answer cache's store (issue 23), in memory. The orchestrator asks it before
// routing: has this tenant, under this policy, already been given an answer to this query?
//   exact     the same exact key (the caller's canonical hash of the messages and generation
//             parameters; opaque here), or else
//   semantic  the stored entry whose embedding is most similar (cosine: the dot product of
//             L2-normalised vectors) among those with the same context key (the caller's hash
//             of the conversation's earlier turns: an answer only carries over when everything
//             before the last message is the same), if the similarity reaches the lookup's
//             threshold for that entry's route (CachedAnswer::route: the route it was answered
//             under; a route the lookup lists has its own threshold) and the NearMissGuard lets
//             the two query texts through. Only the nearest entry is a candidate: one further
//             away under a route with a lower threshold is not looked for.
// A scope is {policy, tenant}: entries of one scope are never visible from another, so
// tenants never share answers. The store computes no keys and no embeddings (it does not
// know the embedder); it validates what it is given.
//
// Lifetime: every entry has a TTL (per insert, or the store's default); an expired entry is
// a miss, removed when a lookup meets it or by SweepExpired(), and counted as an expiration.
// Purge() removes entries before their time, by policy, tenant and age (an operator's
// invalidation: the orchestrator's AnswerCacheAdmin), counted as purged.
// The store is bounded in entries and in approximate bytes and evicts the least recently
// used entry (a hit makes an entry the most recently used). Inserting an existing exact key
// replaces that entry.
//
// Thread-safe: one mutex. A lookup writes too (recency, counters), HNSW cannot add while
// it searches, and a lookup holds the mutex for about one index search.
// Time comes from `options.clock`, so tests need no sleeps.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "services/cache/lib/near_miss_guard.h"
#include "services/cache/lib/semantic_index.h"

namespace cascade::cache {

struct AnswerCacheScope {
  std::string policy;  // required
  std::string tenant;  // may be empty (one anonymous tenant)
};

// What the caller stores and gets back on a hit.
struct CachedAnswer {
  std::string text;
  std::string model;
  std::string final_tier;
  // The route the answer was given under (the router's choice or the client's hint); empty
  // when none. It picks the entry's threshold: AnswerCacheQuery::route_similarity_thresholds.
  std::string route;
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_pico_usd = 0;  // what the original answer cost
  std::string payload;        // opaque to the store
};

struct AnswerCacheOptions {
  // Length of every embedding; required.
  size_t embedding_dimension = 0;
  size_t max_entries = 100'000;
  // Approximate: strings, the embedding and a fixed overhead per entry (EntryBytes()).
  size_t max_bytes = size_t{1} << 30;
  // For inserts that give no TTL of their own.
  absl::Duration default_ttl = absl::Hours(24);
  SemanticIndexOptions index;
  // Defaults to absl::Now.
  std::function<absl::Time()> clock;
};

struct AnswerCacheInsert {
  AnswerCacheScope scope;
  std::string exact_key;  // required; the entry's identity within its scope
  std::string context_key;
  std::string query_text;  // the new query's last user message, for the near-miss guard
  // L2-normalised, `embedding_dimension` floats; empty: the entry is found by exact key only.
  absl::Span<const float> embedding;
  CachedAnswer answer;
  std::optional<absl::Duration> ttl;  // positive; unset: the store's default_ttl
};

struct AnswerCacheQuery {
  AnswerCacheScope scope;
  std::string exact_key;  // empty: no exact lookup
  std::string context_key;
  std::string query_text;
  absl::Span<const float> embedding;  // empty: no semantic lookup
  float similarity_threshold = 0.70f;
  // The threshold a semantic hit on an entry answered under a route (CachedAnswer::route)
  // needs instead of similarity_threshold, by route; routes not listed use
  // similarity_threshold. Not owned; null: none.
  const absl::flat_hash_map<std::string, double>* route_similarity_thresholds = nullptr;
  NearMissGuardOptions guard;
};

enum class AnswerCacheOutcome { kMiss, kExactHit, kSemanticHit };

struct StoredAnswer {
  CachedAnswer answer;
  std::string query_text;
  absl::Time created;
  absl::Time expires;
};

struct AnswerCacheLookup {
  AnswerCacheOutcome outcome = AnswerCacheOutcome::kMiss;
  // The best semantic candidate's similarity, hit or miss; unset when there was none (or
  // when the exact key hit first).
  std::optional<float> best_similarity;
  // On a miss with a semantic candidate: "similarity" (below the threshold) or the guard's
  // check: "numbers", "negation", "entities", "swaps" or "additions". Empty otherwise.
  std::string refused_by;
  std::string refusal_reason;          // the guard's, for logs
  std::optional<StoredAnswer> stored;  // set on a hit

  bool hit() const { return outcome != AnswerCacheOutcome::kMiss; }
};

// Counters since start (and, for entries and bytes, gauges now) of the scopes asked for.
struct AnswerCacheStats {
  int64_t hits_exact = 0;
  int64_t hits_semantic = 0;
  int64_t misses = 0;
  int64_t inserts = 0;
  int64_t evictions = 0;
  int64_t expirations = 0;
  int64_t purged = 0;
  // Semantic candidates refused, by who refused them: "similarity", "numbers", ...
  std::map<std::string, int64_t> rejections;
  int64_t entries = 0;
  int64_t bytes = 0;
};

// to += from, counter by counter (totals over scopes).
void AddStats(const AnswerCacheStats& from, AnswerCacheStats& to);

// Which scopes: unset fields match every value.
struct AnswerCacheFilter {
  std::optional<std::string> policy = {};
  std::optional<std::string> tenant = {};
};

// Which entries a purge removes: those that match every filter set. A purge with no filter
// removes every entry, so it must say so with `all` (an empty filter is never a slip that
// empties the store), and `all` with a filter is refused as ambiguous.
struct AnswerCachePurge {
  std::optional<std::string> policy = {};  // not empty when set
  std::optional<std::string> tenant = {};  // "" is the anonymous tenant
  // Only entries kept at least this long ago (since their insert); finite and > 0.
  std::optional<absl::Duration> older_than = {};
  bool all = false;
};

struct AnswerCachePurgeResult {
  int64_t removed = 0;
  // Of `removed`, per policy (policies with none removed are absent).
  std::map<std::string, int64_t> removed_by_policy = {};
};

class AnswerCache {
 public:
  static absl::StatusOr<std::unique_ptr<AnswerCache>> Create(AnswerCacheOptions options);
  ~AnswerCache();
  AnswerCache(const AnswerCache&) = delete;
  AnswerCache& operator=(const AnswerCache&) = delete;

  // InvalidArgument on an empty policy or exact key, an embedding of the wrong length, with
  // a non-finite value or not L2-normalised, a TTL that is not positive, or an entry larger
  // than max_bytes on its own.
  absl::Status Insert(const AnswerCacheInsert& insert);

  // Exact key first, then semantic. Counts one hit or one miss per call. InvalidArgument
  // as Insert for the scope and embedding, and on a non-finite threshold (a route's too).
  absl::StatusOr<AnswerCacheLookup> Lookup(const AnswerCacheQuery& query);

  // Removes the entries that match (each counts as purged); how many, per policy.
  // InvalidArgument, removing nothing, on a purge with no filter without `all`, `all` with a
  // filter, an empty policy, or an older_than that is not finite and positive.
  absl::StatusOr<AnswerCachePurgeResult> Purge(const AnswerCachePurge& purge);

  // Removes every expired entry (each counts as an expiration); how many.
  size_t SweepExpired();

  AnswerCacheStats Stats(const AnswerCacheFilter& filter = {}) const;
  // The same, one per policy the store has counted anything for (entries, lookups, ...),
  // keyed by policy.
  std::map<std::string, AnswerCacheStats> StatsByPolicy(const AnswerCacheFilter& filter = {}) const;

  // The whole store's size and removals, in constant time (Stats() walks every scope):
  // what a caller reporting after each insert needs.
  struct Totals {
    int64_t entries = 0;
    int64_t bytes = 0;
    int64_t evicted_or_expired = 0;  // Since start.
  };
  Totals StoreTotals() const;

  // The approximate size an entry is accounted at.
  size_t EntryBytes(const AnswerCacheInsert& insert) const;

 private:
  struct Entry;
  struct ScopeState {
    AnswerCacheScope scope;
    AnswerCacheStats stats;
  };
  enum class RemovalReason { kReplaced, kEvicted, kExpired, kPurged };

  explicit AnswerCache(AnswerCacheOptions options);

  absl::Status ValidateScope(const AnswerCacheScope& scope) const;
  absl::Status ValidateEmbedding(absl::Span<const float> embedding) const;
  ScopeState& ScopeFor(const AnswerCacheScope& scope) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Remove(uint64_t id, RemovalReason reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Touch(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  StoredAnswer Hit(Entry& entry, AnswerCacheOutcome outcome) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The best live candidate of the query's bucket; removes the expired ones it meets.
  std::optional<SemanticMatch> NearestLive(const std::string& bucket_key, const float* query,
                                           absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AnswerCacheOptions options_;

  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  // (scope, exact key) -> entry id.
  absl::flat_hash_map<std::string, uint64_t> by_exact_key_ ABSL_GUARDED_BY(mu_);
  // (scope, context key) -> the bucket's index.
  absl::flat_hash_map<std::string, std::unique_ptr<SemanticIndex>> buckets_ ABSL_GUARDED_BY(mu_);
  // Scope key -> its counters and gauges; kept after its entries go.
  absl::flat_hash_map<std::string, ScopeState> scopes_ ABSL_GUARDED_BY(mu_);
  // Entry ids, most recently used first.
  std::list<uint64_t> recency_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t evicted_or_expired_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cascade::cache
