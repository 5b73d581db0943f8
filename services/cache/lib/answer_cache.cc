#include "services/cache/lib/answer_cache.h"

#include <cmath>
#include <initializer_list>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cascade::cache {
namespace {

// Per entry beyond its strings and embedding: the entry, its map slots, its recency node and
// its row in the index, roughly.
constexpr size_t kEntryOverheadBytes = 256;
// How far from 1 an embedding's squared norm may be: float rounding of a normalised vector
// stays far below this, an unnormalised one does not.
constexpr double kNormTolerance = 1e-3;

// Length-prefixed, so that no two different tuples give the same key.
std::string KeyOf(std::initializer_list<absl::string_view> parts) {
  std::string key;
  for (absl::string_view part : parts) absl::StrAppend(&key, part.size(), ":", part);
  return key;
}

std::string ScopeKey(const AnswerCacheScope& scope) { return KeyOf({scope.policy, scope.tenant}); }

bool Matches(const std::optional<std::string>& wanted, const std::string& value) {
  return !wanted.has_value() || *wanted == value;
}

// The similarity a semantic hit on an entry answered under `route` needs.
float ThresholdFor(const AnswerCacheQuery& query, const std::string& route) {
  if (query.route_similarity_thresholds != nullptr) {
    const auto it = query.route_similarity_thresholds->find(route);
    if (it != query.route_similarity_thresholds->end()) return static_cast<float>(it->second);
  }
  return query.similarity_threshold;
}

}  // namespace

void AddStats(const AnswerCacheStats& from, AnswerCacheStats& to) {
  to.hits_exact += from.hits_exact;
  to.hits_semantic += from.hits_semantic;
  to.misses += from.misses;
  to.inserts += from.inserts;
  to.evictions += from.evictions;
  to.expirations += from.expirations;
  to.purged += from.purged;
  for (const auto& [name, count] : from.rejections) to.rejections[name] += count;
  to.entries += from.entries;
  to.bytes += from.bytes;
}

struct AnswerCache::Entry {
  uint64_t id = 0;
  AnswerCacheScope scope;
  std::string scope_key;
  std::string exact_map_key;
  std::string bucket_key;  // empty: no embedding, not in any bucket
  StoredAnswer stored;
  size_t bytes = 0;
  std::list<uint64_t>::iterator recency;
};

absl::StatusOr<std::unique_ptr<AnswerCache>> AnswerCache::Create(AnswerCacheOptions options) {
  if (options.embedding_dimension == 0) {
    return absl::InvalidArgumentError("answer cache: embedding_dimension must be > 0");
  }
  if (options.max_entries == 0) {
    return absl::InvalidArgumentError("answer cache: max_entries must be > 0");
  }
  if (options.max_bytes == 0) {
    return absl::InvalidArgumentError("answer cache: max_bytes must be > 0");
  }
  if (options.default_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("answer cache: default_ttl must be > 0, got ",
                                                   absl::FormatDuration(options.default_ttl)));
  }
  const SemanticIndexOptions& index = options.index;
  if (index.hnsw_min_entries == 0 || index.hnsw_m < 2 || index.hnsw_ef_construction < 1 ||
      index.hnsw_ef_search < 1) {
    return absl::InvalidArgumentError(
        "answer cache: index.hnsw_min_entries must be > 0, index.hnsw_m >= 2 and "
        "index.hnsw_ef_construction, index.hnsw_ef_search >= 1");
  }
  if (!(index.max_tombstone_share > 0.0 && index.max_tombstone_share < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer cache: index.max_tombstone_share must be in (0, 1), got ",
                     index.max_tombstone_share));
  }
  if (!options.clock) options.clock = [] { return absl::Now(); };
  return std::unique_ptr<AnswerCache>(new AnswerCache(std::move(options)));
}

AnswerCache::AnswerCache(AnswerCacheOptions options) : options_(std::move(options)) {}

AnswerCache::~AnswerCache() = default;

absl::Status AnswerCache::ValidateScope(const AnswerCacheScope& scope) const {
  if (scope.policy.empty())
    return absl::InvalidArgumentError("answer cache: scope.policy is empty");
  return absl::OkStatus();
}

absl::Status AnswerCache::ValidateEmbedding(absl::Span<const float> embedding) const {
  if (embedding.size() != options_.embedding_dimension) {
    return absl::InvalidArgumentError(absl::StrCat("answer cache: embedding has ", embedding.size(),
                                                   " values, expected ",
                                                   options_.embedding_dimension));
  }
  double norm_squared = 0.0;
  for (size_t i = 0; i < embedding.size(); ++i) {
    if (!std::isfinite(embedding[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("answer cache: embedding[", i, "] is not finite"));
    }
    norm_squared += static_cast<double>(embedding[i]) * embedding[i];
  }
  if (std::abs(norm_squared - 1.0) > kNormTolerance) {
    return absl::InvalidArgumentError(absl::StrCat(
        "answer cache: embedding is not L2-normalised (norm ", std::sqrt(norm_squared), ")"));
  }
  return absl::OkStatus();
}

size_t AnswerCache::EntryBytes(const AnswerCacheInsert& insert) const {
  const CachedAnswer& answer = insert.answer;
  size_t bytes =
      kEntryOverheadBytes +
      2 * (insert.scope.policy.size() + insert.scope.tenant.size() + insert.exact_key.size()) +
      insert.context_key.size() + insert.query_text.size() + answer.text.size() +
      answer.model.size() + answer.final_tier.size() + answer.route.size() +
      answer.finish_reason.size() + answer.payload.size();
  if (!insert.embedding.empty()) {
    // The row, and about the HNSW graph's code and links once the bucket has a graph.
    bytes += insert.embedding.size() * sizeof(float) + insert.context_key.size() +
             SemanticIndex::GraphBytesPerRow(insert.embedding.size(), options_.index);
  }
  return bytes;
}

AnswerCache::ScopeState& AnswerCache::ScopeFor(const AnswerCacheScope& scope) {
  auto [it, inserted] = scopes_.try_emplace(ScopeKey(scope));
  if (inserted) it->second.scope = scope;
  return it->second;
}

absl::Status AnswerCache::Insert(const AnswerCacheInsert& insert) {
  if (absl::Status status = ValidateScope(insert.scope); !status.ok()) return status;
  if (insert.exact_key.empty())
    return absl::InvalidArgumentError("answer cache: exact_key is empty");
  if (!insert.embedding.empty()) {
    if (absl::Status status = ValidateEmbedding(insert.embedding); !status.ok()) return status;
  }
  if (insert.ttl.has_value() && *insert.ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer cache: ttl must be > 0, got ", absl::FormatDuration(*insert.ttl)));
  }
  const size_t bytes = EntryBytes(insert);
  if (bytes > options_.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("answer cache: the entry (", bytes,
                                                   " bytes) is larger than max_bytes (",
                                                   options_.max_bytes, ")"));
  }

  auto entry = std::make_unique<Entry>();
  entry->scope = insert.scope;
  entry->scope_key = ScopeKey(insert.scope);
  entry->exact_map_key = KeyOf({insert.scope.policy, insert.scope.tenant, insert.exact_key});
  if (!insert.embedding.empty()) {
    entry->bucket_key = KeyOf({insert.scope.policy, insert.scope.tenant, insert.context_key});
  }
  entry->stored.answer = insert.answer;
  entry->stored.query_text = insert.query_text;
  entry->bytes = bytes;

  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  entry->stored.created = now;
  entry->stored.expires = now + insert.ttl.value_or(options_.default_ttl);
  if (const auto it = by_exact_key_.find(entry->exact_map_key); it != by_exact_key_.end()) {
    Remove(it->second, RemovalReason::kReplaced);
  }

  const uint64_t id = next_id_++;
  entry->id = id;
  recency_.push_front(id);
  entry->recency = recency_.begin();
  by_exact_key_[entry->exact_map_key] = id;
  if (!entry->bucket_key.empty()) {
    std::unique_ptr<SemanticIndex>& bucket = buckets_[entry->bucket_key];
    if (bucket == nullptr) {
      bucket = std::make_unique<SemanticIndex>(options_.embedding_dimension, options_.index);
    }
    bucket->Add(id, insert.embedding.data());
  }
  AnswerCacheStats& stats = ScopeFor(insert.scope).stats;
  ++stats.inserts;
  ++stats.entries;
  stats.bytes += static_cast<int64_t>(bytes);
  bytes_ += bytes;
  entries_.emplace(id, std::move(entry));

  // The new entry is the most recent and fits on its own, so it is never the one evicted.
  while (entries_.size() > options_.max_entries || bytes_ > options_.max_bytes) {
    Remove(recency_.back(), RemovalReason::kEvicted);
  }
  return absl::OkStatus();
}

void AnswerCache::Remove(uint64_t id, RemovalReason reason) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry& entry = *it->second;
  AnswerCacheStats& stats = ScopeFor(entry.scope).stats;
  switch (reason) {
    case RemovalReason::kReplaced:
      break;
    case RemovalReason::kEvicted:
      ++stats.evictions;
      ++evicted_or_expired_;
      break;
    case RemovalReason::kExpired:
      ++stats.expirations;
      ++evicted_or_expired_;
      break;
    case RemovalReason::kPurged:
      ++stats.purged;
      break;
  }
  --stats.entries;
  stats.bytes -= static_cast<int64_t>(entry.bytes);
  bytes_ -= entry.bytes;
  by_exact_key_.erase(entry.exact_map_key);
  if (!entry.bucket_key.empty()) {
    const auto bucket = buckets_.find(entry.bucket_key);
    if (bucket != buckets_.end()) {
      bucket->second->Remove(id);
      if (bucket->second->empty()) buckets_.erase(bucket);
    }
  }
  recency_.erase(entry.recency);
  entries_.erase(it);
}

void AnswerCache::Touch(Entry& entry) {
  recency_.splice(recency_.begin(), recency_, entry.recency);
}

StoredAnswer AnswerCache::Hit(Entry& entry, AnswerCacheOutcome outcome) {
  Touch(entry);
  AnswerCacheStats& stats = ScopeFor(entry.scope).stats;
  if (outcome == AnswerCacheOutcome::kExactHit) {
    ++stats.hits_exact;
  } else {
    ++stats.hits_semantic;
  }
  return entry.stored;
}

std::optional<SemanticMatch> AnswerCache::NearestLive(const std::string& bucket_key,
                                                      const float* query, absl::Time now) {
  // Each round either returns or removes an expired entry, so this ends.
  while (true) {
    const auto bucket = buckets_.find(bucket_key);
    if (bucket == buckets_.end()) return std::nullopt;
    const std::optional<SemanticMatch> match = bucket->second->Nearest(query);
    if (!match.has_value()) return std::nullopt;
    if (entries_.at(match->id)->stored.expires > now) return match;
    Remove(match->id, RemovalReason::kExpired);
  }
}

absl::StatusOr<AnswerCacheLookup> AnswerCache::Lookup(const AnswerCacheQuery& query) {
  if (absl::Status status = ValidateScope(query.scope); !status.ok()) return status;
  if (!query.embedding.empty()) {
    if (absl::Status status = ValidateEmbedding(query.embedding); !status.ok()) return status;
  }
  if (!std::isfinite(query.similarity_threshold)) {
    return absl::InvalidArgumentError("answer cache: similarity_threshold is not finite");
  }
  if (query.route_similarity_thresholds != nullptr) {
    for (const auto& [route, threshold] : *query.route_similarity_thresholds) {
      if (!std::isfinite(threshold)) {
        return absl::InvalidArgumentError(
            absl::StrCat("answer cache: route_similarity_thresholds[", route, "] is not finite"));
      }
    }
  }

  AnswerCacheLookup result;
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  if (!query.exact_key.empty()) {
    const auto it =
        by_exact_key_.find(KeyOf({query.scope.policy, query.scope.tenant, query.exact_key}));
    if (it != by_exact_key_.end()) {
      Entry& entry = *entries_.at(it->second);
      if (entry.stored.expires > now) {
        result.outcome = AnswerCacheOutcome::kExactHit;
        result.stored = Hit(entry, result.outcome);
        return result;
      }
      Remove(entry.id, RemovalReason::kExpired);
    }
  }

  if (!query.embedding.empty()) {
    const std::optional<SemanticMatch> match =
        NearestLive(KeyOf({query.scope.policy, query.scope.tenant, query.context_key}),
                    query.embedding.data(), now);
    if (match.has_value()) {
      result.best_similarity = match->similarity;
      Entry& entry = *entries_.at(match->id);
      const float threshold = ThresholdFor(query, entry.stored.answer.route);
      if (match->similarity < threshold) {
        result.refused_by = "similarity";
        result.refusal_reason =
            absl::StrCat("similarity ", match->similarity, " < threshold ", threshold,
                         entry.stored.answer.route.empty()
                             ? ""
                             : absl::StrCat(" (route ", entry.stored.answer.route, ")"));
      } else {
        const NearMissVerdict verdict =
            NearMissGuard(query.guard).Check(entry.stored.query_text, query.query_text);
        if (verdict.refused()) {
          result.refused_by = std::string(NearMissCheckName(verdict.refused_by));
          result.refusal_reason = verdict.reason;
        } else {
          result.outcome = AnswerCacheOutcome::kSemanticHit;
          result.stored = Hit(entry, result.outcome);
          return result;
        }
      }
    }
  }
  // Looked up only now: removing expired entries above may have added the scope's state.
  AnswerCacheStats& stats = ScopeFor(query.scope).stats;
  if (!result.refused_by.empty()) ++stats.rejections[result.refused_by];
  ++stats.misses;
  return result;
}

absl::StatusOr<AnswerCachePurgeResult> AnswerCache::Purge(const AnswerCachePurge& purge) {
  const bool filtered =
      purge.policy.has_value() || purge.tenant.has_value() || purge.older_than.has_value();
  if (!filtered && !purge.all) {
    return absl::InvalidArgumentError(
        "answer cache: a purge with no filter (policy, tenant, older_than) removes every "
        "entry: set all to say so");
  }
  if (filtered && purge.all) {
    return absl::InvalidArgumentError(
        "answer cache: all removes every entry and takes no filter; drop all or the filters "
        "(policy, tenant, older_than)");
  }
  if (purge.policy.has_value() && purge.policy->empty()) {
    return absl::InvalidArgumentError(
        "answer cache: purge.policy is empty (unset it to purge every policy)");
  }
  if (purge.older_than.has_value() && (*purge.older_than <= absl::ZeroDuration() ||
                                       *purge.older_than == absl::InfiniteDuration())) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer cache: older_than must be a finite duration > 0, got ",
                     absl::FormatDuration(*purge.older_than)));
  }

  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  std::vector<uint64_t> doomed;
  AnswerCachePurgeResult result;
  for (const auto& [id, entry] : entries_) {
    if (!Matches(purge.policy, entry->scope.policy) ||
        !Matches(purge.tenant, entry->scope.tenant)) {
      continue;
    }
    if (purge.older_than.has_value() && now - entry->stored.created < *purge.older_than) continue;
    doomed.push_back(id);
    ++result.removed_by_policy[entry->scope.policy];
  }
  for (uint64_t id : doomed) Remove(id, RemovalReason::kPurged);
  result.removed = static_cast<int64_t>(doomed.size());
  return result;
}

size_t AnswerCache::SweepExpired() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = options_.clock();
  std::vector<uint64_t> expired;
  for (const auto& [id, entry] : entries_) {
    if (entry->stored.expires <= now) expired.push_back(id);
  }
  for (uint64_t id : expired) Remove(id, RemovalReason::kExpired);
  return expired.size();
}

AnswerCache::Totals AnswerCache::StoreTotals() const {
  absl::MutexLock lock(&mu_);
  return {static_cast<int64_t>(entries_.size()), static_cast<int64_t>(bytes_), evicted_or_expired_};
}

AnswerCacheStats AnswerCache::Stats(const AnswerCacheFilter& filter) const {
  absl::MutexLock lock(&mu_);
  AnswerCacheStats total;
  for (const auto& [key, state] : scopes_) {
    if (Matches(filter.policy, state.scope.policy) && Matches(filter.tenant, state.scope.tenant)) {
      AddStats(state.stats, total);
    }
  }
  return total;
}

std::map<std::string, AnswerCacheStats> AnswerCache::StatsByPolicy(
    const AnswerCacheFilter& filter) const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, AnswerCacheStats> by_policy;
  for (const auto& [key, state] : scopes_) {
    if (Matches(filter.policy, state.scope.policy) && Matches(filter.tenant, state.scope.tenant)) {
      AddStats(state.stats, by_policy[state.scope.policy]);
    }
  }
  return by_policy;
}

}  // namespace cascade::cache
