#pragma once

// A policy's answer cache and the store behind it, read from the config
// (AnswerCachePolicyConfig, AnswerCacheConfig; docs/cache.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/config.pb.h"
#include "services/cache/lib/near_miss_guard.h"

namespace cascade::orchestrator {

// A judge call before a semantic hit is served (cache.verify).
struct CacheVerifySettings {
  double min = 0;                    // The lowest judge score that serves the hit.
  std::vector<std::string> methods;  // Never empty: [llm] unless set.
  absl::Duration timeout = absl::Seconds(2);
};

struct CachePolicySettings {
  bool semantic = false;
  double similarity_threshold = 0.70;
  // A semantic hit on an entry answered under one of these routes needs this similarity
  // instead (the route kept with the entry: the lookup runs before routing).
  absl::flat_hash_map<std::string, double> route_similarity_thresholds;
  absl::Duration ttl = absl::Hours(24);
  bool allow_sampled = false;
  cache::NearMissGuardOptions guard;
  std::optional<CacheVerifySettings> verify;
};

struct AnswerCacheStoreSettings {
  int64_t max_entries = 100'000;
  int64_t max_bytes = int64_t{1024} << 20;
};

// nullopt when the block is absent or not enabled; FAILED_PRECONDITION naming `field` for a
// value out of range (a route's threshold: naming the route), an empty route name, an
// unknown guard, or a verify block without `min`. Route names are not checked against the router's:
// the orchestrator knows a route only from the answers given under it, so a name none carries
// applies to nothing.
absl::StatusOr<std::optional<CachePolicySettings>> CachePolicyFromConfig(
    const v1::AnswerCachePolicyConfig& config, const std::string& field);

absl::StatusOr<AnswerCacheStoreSettings> AnswerCacheStoreFromConfig(
    const v1::AnswerCacheConfig& config);

}  // namespace cascade::orchestrator
