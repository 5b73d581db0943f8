#pragma once

// The answer cache's admin operations (cascade.v1.AnswerCacheAdmin, answer_cache.proto) as
// plain C++: the store's numbers per policy, and purges, checked against the policies in
// service. The store does the filtering and counting (services/cache/lib/answer_cache.h);
// this names the policies a caller may ask about and says what is wrong:
//   - FAILED_PRECONDITION when no policy enables the cache (and it holds nothing), or the
//     named policy does not, saying how to enable it;
//   - NOT_FOUND for a policy that is neither configured nor held by the cache, naming those
//     that are;
//   - INVALID_ARGUMENT for an empty policy, and whatever the store refuses in a purge (no
//     filter without `all`, `all` with a filter, an age that is not > 0).
// A policy removed or stripped of its cache by a policies reload keeps its entries until
// they expire, are evicted or are purged: such a policy stays known while the cache holds
// anything of it. Who may call these is the gRPC adapter's concern
// (common/security/admin_access.h).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/cache/lib/answer_cache.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

struct CacheStatsQuery {
  std::optional<std::string> policy = {};
  std::optional<std::string> tenant = {};
};

struct PolicyCacheStats {
  std::string policy = {};
  bool enabled = false;  // Configured now with its cache enabled.
  cache::AnswerCacheStats stats = {};
};

struct CacheStatsReport {
  cache::AnswerCacheStats total = {};           // The sum over `policies`.
  std::vector<PolicyCacheStats> policies = {};  // Sorted by name.
};

class AnswerCacheAdmin {
 public:
  using Policies = std::shared_ptr<const std::vector<PolicySettings>>;

  // `store`: null when the cache could not be made (every call is then FAILED_PRECONDITION).
  // `policies`: the policies in service now. `purged`: told of every purge that removed
  // something, after it (the orchestrator records it).
  AnswerCacheAdmin(cache::AnswerCache* store, std::function<Policies()> policies,
                   std::function<void(const cache::AnswerCachePurgeResult&)> purged);

  // Every policy with a cache and every policy the cache holds anything of (under `tenant`
  // when set), or only `policy`.
  absl::StatusOr<CacheStatsReport> Stats(const CacheStatsQuery& query) const;

  // Removes the matching entries; logs an `answer_cache_purged` line with the filters.
  absl::StatusOr<cache::AnswerCachePurgeResult> Purge(const cache::AnswerCachePurge& purge);

 private:
  // Why `policy` (or, unset, the whole cache) cannot be asked about; OK when it can.
  absl::Status CheckPolicy(const std::optional<std::string>& policy) const;

  cache::AnswerCache* store_;
  std::function<Policies()> policies_;
  std::function<void(const cache::AnswerCachePurgeResult&)> purged_;
};

}  // namespace cascade::orchestrator
