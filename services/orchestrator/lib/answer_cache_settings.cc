#include "services/orchestrator/lib/answer_cache_settings.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/config/proto_duration.h"

namespace cascade::orchestrator {
namespace {

absl::Status ConfigError(absl::string_view message) {
  return absl::FailedPreconditionError(message);
}

absl::StatusOr<CacheVerifySettings> VerifyFromConfig(const v1::AnswerCacheVerifyConfig& config,
                                                     const std::string& field) {
  CacheVerifySettings verify;
  if (!config.has_min() || !(config.min() >= 0 && config.min() <= 1)) {
    return ConfigError(absl::StrCat(field, ".min must be set and in [0, 1]"));
  }
  verify.min = config.min();
  for (const std::string& method : config.methods()) {
    if (method.empty()) return ConfigError(absl::StrCat(field, ".methods: empty name"));
    if (method == "logprob") {
      return ConfigError(absl::StrCat(field,
                                      ".methods: 'logprob' cannot verify a kept answer, "
                                      "which keeps no logprobs (use llm)"));
    }
    verify.methods.push_back(method);
  }
  if (verify.methods.empty()) verify.methods.push_back("llm");
  if (config.has_timeout()) {
    verify.timeout = DurationFromProto(config.timeout());
    if (verify.timeout < absl::Milliseconds(10) || verify.timeout > absl::Seconds(60)) {
      return ConfigError(absl::StrCat(field, ".timeout ", absl::FormatDuration(verify.timeout),
                                      " must be from 10ms to 60s"));
    }
  }
  return verify;
}

}  // namespace

absl::StatusOr<std::optional<CachePolicySettings>> CachePolicyFromConfig(
    const v1::AnswerCachePolicyConfig& config, const std::string& field) {
  if (!config.enabled()) return std::nullopt;
  CachePolicySettings cache;
  cache.semantic = config.semantic();
  if (config.has_similarity_threshold()) {
    cache.similarity_threshold = config.similarity_threshold();
    if (!(cache.similarity_threshold > 0 && cache.similarity_threshold <= 1)) {
      return ConfigError(absl::StrCat(field, ".similarity_threshold ", cache.similarity_threshold,
                                      " must be in (0, 1]"));
    }
  }
  // Sorted, so that the first bad route named is always the same one.
  const std::map<std::string, double> route_thresholds(config.route_similarity_thresholds().begin(),
                                                       config.route_similarity_thresholds().end());
  for (const auto& [route, threshold] : route_thresholds) {
    if (route.empty()) {
      return ConfigError(
          absl::StrCat(field, ".route_similarity_thresholds: a route name is empty"));
    }
    if (!(threshold > 0 && threshold <= 1)) {
      return ConfigError(absl::StrCat(field, ".route_similarity_thresholds[", route, "] ",
                                      threshold, " must be in (0, 1]"));
    }
    cache.route_similarity_thresholds[route] = threshold;
  }
  if (config.has_ttl()) {
    cache.ttl = DurationFromProto(config.ttl());
    if (cache.ttl < absl::Seconds(1) || cache.ttl > absl::Hours(24 * 30)) {
      return ConfigError(absl::StrCat(field, ".ttl ", absl::FormatDuration(cache.ttl),
                                      " must be from 1s to 30 days (720h)"));
    }
  }
  cache.allow_sampled = config.allow_sampled();
  for (const std::string& guard : config.disable_guards()) {
    if (guard == "numbers") {
      cache.guard.check_numbers = false;
    } else if (guard == "negation") {
      cache.guard.check_negation = false;
    } else if (guard == "entities") {
      cache.guard.check_entities = false;
    } else if (guard == "swaps") {
      cache.guard.check_swaps = false;
    } else if (guard == "additions") {
      cache.guard.check_additions = false;
    } else {
      return ConfigError(absl::StrCat(field, ".disable_guards: unknown guard '", guard,
                                      "' (numbers, negation, entities, swaps, additions)"));
    }
  }
  // Both apply to semantic hits only: without them they would do nothing, silently.
  if (!cache.semantic && !cache.route_similarity_thresholds.empty()) {
    return ConfigError(absl::StrCat(field,
                                    ".route_similarity_thresholds apply to semantic hits: "
                                    "set ",
                                    field, ".semantic: true, or remove them"));
  }
  if (!cache.semantic && config.has_verify()) {
    return ConfigError(absl::StrCat(field, ".verify checks semantic hits: set ", field,
                                    ".semantic: true, or remove it"));
  }
  if (config.has_verify()) {
    auto verify = VerifyFromConfig(config.verify(), absl::StrCat(field, ".verify"));
    if (!verify.ok()) return verify.status();
    cache.verify = *std::move(verify);
  }
  return cache;
}

absl::StatusOr<AnswerCacheStoreSettings> AnswerCacheStoreFromConfig(
    const v1::AnswerCacheConfig& config) {
  AnswerCacheStoreSettings store;
  if (config.has_max_entries()) {
    if (config.max_entries() < 1 || config.max_entries() > 10'000'000) {
      return ConfigError(absl::StrCat("answer_cache.max_entries ", config.max_entries(),
                                      " must be from 1 to 10000000"));
    }
    store.max_entries = config.max_entries();
  }
  if (config.has_max_mib()) {
    if (config.max_mib() < 1 || config.max_mib() > 65536) {
      return ConfigError(
          absl::StrCat("answer_cache.max_mib ", config.max_mib(), " must be from 1 to 65536"));
    }
    store.max_bytes = config.max_mib() << 20;
  }
  // The endpoint itself is built by the service (answer_cache_embedder.h: this library links
  // no HTTP client); its vectors' length is needed from the start.
  if (config.has_openai_embedder() && config.openai_embedder().dimensions() <= 0) {
    return ConfigError(
        "answer_cache.openai_embedder.dimensions must be set (> 0): the cache's index holds "
        "vectors of one length, the endpoint's, from the start");
  }
  return store;
}

}  // namespace cascade::orchestrator
