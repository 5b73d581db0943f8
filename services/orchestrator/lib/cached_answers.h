#pragma once

// The policies' answer cache in front of the cascade (docs/cache.md): before a request is
// routed, an accepted answer to the same request from the same tenant under the same policy
// (exact), or with `semantic`, to a last user message near enough that the near-miss guard
// lets it through, is served instead of asking any tier. After the cascade, an accepted
// answer is kept. The store (services/cache/lib/answer_cache.h) scopes entries by policy and
// tenant, so tenants never share them.
//
// Keys: the exact key is the request itself (messages, parameters, client limits; the
// temperature as it will apply), serialized deterministically; the context key is the same
// without the last user message's text, so a semantic hit needs everything else equal.
// The embedding is the router's hashed embedder's (no model, no network; cache_embedder.h),
// which measures shared words, so semantic hits are rephrasings that keep most words
// (docs/benchmarks.md); or, with answer_cache.openai_embedder, an OpenAI-compatible
// endpoint's. When that endpoint fails, the lookup (and the insert) is exact only.
// The similarity a hit needs is the policy's, or its route's for an entry answered under a
// route it lists (route_similarity_thresholds): each entry keeps the route of its answer.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "services/cache/lib/answer_cache.h"
#include "services/cache/lib/cache_embedder.h"
#include "services/orchestrator/lib/answer_cache_settings.h"
#include "services/orchestrator/lib/orchestrator_settings.h"
#include "services/router/lib/embedder.h"

namespace cascade::orchestrator {

struct CacheLookup {
  // The answer to return; unset on a miss or when the request may not be served from cache.
  std::optional<v1::CascadeResponse> response;
  // For cascade_cache_lookups_total: "exact_hit", "semantic_hit", "miss", or why the cache
  // was not asked: "sampled" (temperature > 0 without allow_sampled), "logprobs" (the
  // client asked for logprobs, which a cached answer does not carry).
  std::string outcome;
  // On a miss with a semantic candidate: who refused it ("similarity", "numbers",
  // "negation", "entities", "swaps", "additions"; the orchestrator's verification call adds
  // "verification" and "verification_error"); empty otherwise.
  std::string refused_by;
  // The embedder failed on the last user message: the lookup was exact only.
  bool embedding_failed = false;
};

class CachedAnswers {
 public:
  // `embedder` null: the hashed one (cache_embedder.h). Else its dimension must be known (a
  // configured `dimensions`): the store's index holds vectors of one length.
  static absl::StatusOr<std::unique_ptr<CachedAnswers>> Create(
      const AnswerCacheStoreSettings& settings, std::shared_ptr<const router::Embedder> embedder,
      std::function<absl::Time()> clock);

  // `policy.cache` must be set. `temperature_unset`: CascadeCall's (the policy's default
  // temperature then applies).
  CacheLookup Find(const PolicySettings& policy, const v1::CascadeRequest& request,
                   bool temperature_unset);

  // Keeps `response` when it may be served again: the policy has a cache, the request may be
  // (not sampled, no logprobs), and the answer was accepted (its last step accepted, the
  // climb not stopped early, no tool calls). Whether it was kept; a store error is logged.
  bool Keep(const PolicySettings& policy, const v1::CascadeRequest& request, bool temperature_unset,
            const v1::CascadeResponse& response);

  // Entries and bytes now; evictions and expirations since start.
  cache::AnswerCache::Totals StoreTotals() const { return store_->StoreTotals(); }

  // The store itself, for its stats and purges (answer_cache_admin.h).
  cache::AnswerCache& store() { return *store_; }

 private:
  CachedAnswers(std::unique_ptr<cache::AnswerCache> store,
                std::shared_ptr<const router::Embedder> embedder,
                std::function<absl::Time()> clock);

  // Why `request` may not use the cache under `policy`; empty when it may.
  static std::string Ineligible(const PolicySettings& policy, const v1::CascadeRequest& request,
                                bool temperature_unset);
  // Sets what a lookup and an insert share (AnswerCacheQuery, AnswerCacheInsert): the scope,
  // the exact key and, with `semantic` and a plain-text last user message, the context key,
  // its text and its embedding (held in `embedding`, which `target` then points into).
  // False when the embedder failed (logged; `target` then has no embedding: exact only).
  template <typename Target>
  bool SetKeys(const PolicySettings& policy, const v1::CascadeRequest& request,
               bool temperature_unset, std::vector<float>& embedding, Target& target) const;

  std::unique_ptr<cache::AnswerCache> store_;
  std::shared_ptr<const router::Embedder> embedder_;
  std::function<absl::Time()> clock_;
};

}  // namespace cascade::orchestrator
