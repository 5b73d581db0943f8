#include "services/orchestrator/lib/answer_cache_admin.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/logger.h"

namespace cascade::orchestrator {
namespace {

constexpr char kHowToEnable[] =
    "set `cache: {enabled: true}` on a policy (docs/cache.md) and reload or restart";

}  // namespace

AnswerCacheAdmin::AnswerCacheAdmin(cache::AnswerCache* store, std::function<Policies()> policies,
                                   std::function<void(const cache::AnswerCachePurgeResult&)> purged)
    : store_(store), policies_(std::move(policies)), purged_(std::move(purged)) {}

absl::Status AnswerCacheAdmin::CheckPolicy(const std::optional<std::string>& policy) const {
  if (store_ == nullptr) {
    return absl::FailedPreconditionError(
        "the answer cache could not be made at start (see the answer_cache_unavailable log "
        "line)");
  }
  if (policy.has_value() && policy->empty()) {
    return absl::InvalidArgumentError(
        "policy is empty: name a policy, or leave it unset for every policy");
  }
  const Policies policies = policies_();
  const std::map<std::string, cache::AnswerCacheStats> held = store_->StatsByPolicy();
  if (!policy.has_value()) {
    for (const PolicySettings& settings : *policies) {
      if (settings.cache) return absl::OkStatus();
    }
    if (!held.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("the answer cache is off: no policy enables it; ", kHowToEnable));
  }
  if (held.count(*policy) > 0) return absl::OkStatus();
  std::set<std::string> known;
  for (const auto& [name, stats] : held) known.insert(name);
  for (const PolicySettings& settings : *policies) {
    if (settings.name != *policy) {
      known.insert(settings.name);
      continue;
    }
    if (settings.cache) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("policy '", *policy,
                     "' has no answer cache: set `cache: {enabled: true}` on it "
                     "(docs/cache.md) and reload or restart"));
  }
  return absl::NotFoundError(
      absl::StrCat("no policy '", *policy,
                   "' (known: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<CacheStatsReport> AnswerCacheAdmin::Stats(const CacheStatsQuery& query) const {
  if (absl::Status status = CheckPolicy(query.policy); !status.ok()) return status;
  std::map<std::string, PolicyCacheStats> listed;
  for (const PolicySettings& settings : *policies_()) {
    if (!settings.cache) continue;
    if (query.policy.has_value() && *query.policy != settings.name) continue;
    listed[settings.name].enabled = true;
  }
  if (query.policy.has_value()) listed.try_emplace(*query.policy);
  for (auto& [name, stats] :
       store_->StatsByPolicy({.policy = query.policy, .tenant = query.tenant})) {
    listed[name].stats = std::move(stats);
  }
  CacheStatsReport report;
  for (auto& [name, entry] : listed) {
    entry.policy = name;
    cache::AddStats(entry.stats, report.total);
    report.policies.push_back(std::move(entry));
  }
  return report;
}

absl::StatusOr<cache::AnswerCachePurgeResult> AnswerCacheAdmin::Purge(
    const cache::AnswerCachePurge& purge) {
  if (absl::Status status = CheckPolicy(purge.policy); !status.ok()) return status;
  absl::StatusOr<cache::AnswerCachePurgeResult> result = store_->Purge(purge);
  if (!result.ok()) return result.status();
  nlohmann::json line = {{"removed", result->removed}};
  if (purge.policy) line["policy"] = *purge.policy;
  if (purge.tenant) line["tenant"] = *purge.tenant;
  if (purge.older_than) line["older_than_seconds"] = absl::ToDoubleSeconds(*purge.older_than);
  if (purge.all) line["all"] = true;
  LogInfo("answer_cache_purged", line);
  if (result->removed > 0 && purged_) purged_(*result);
  return result;
}

}  // namespace cascade::orchestrator
