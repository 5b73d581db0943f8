#pragma once

// cascadectl commands for a running orchestrator's answer cache (cascade.v1.AnswerCacheAdmin,
// docs/cache.md):
//   cascadectl cache stats --orchestrator ADDR [--policy P] [--tenant T]   what it holds
//   cascadectl cache purge --orchestrator ADDR (--policy P | --tenant T |
//                          --older-than DURATION | --all)                  remove answers
//   cascadectl cache fit --pairs PAIRS.jsonl ...   fit the similarity thresholds, no server
//                                                  (cache_fit_command.h)

#include <ostream>
#include <string>
#include <vector>

#include "tools/cascadectl/dial.h"

namespace cascade::cli {

inline constexpr char kCacheUsage[] =
    R"(usage: cascadectl cache stats --orchestrator ADDR [--policy P] [--tenant T] [--json]
       cascadectl cache purge --orchestrator ADDR (--policy P | --tenant T |
                              --older-than DURATION | --all) [--json]
       cascadectl cache fit --pairs PAIRS.jsonl [--max-wrong-hit-rate 0.005]
                            [--holdout 0.3] [--seed 1] [--guards on|off] [--out FILE] [--json]

The answer cache of the orchestrator at ADDR (docs/cache.md): `stats` prints what it holds
and how it did per policy; `purge` removes answers before their TTL ends. Each orchestrator
replica has its own cache: run them against every replica. `fit` needs no server: it fits
the semantic cache's similarity thresholds, overall and per route, on labelled pairs and
measures them on pairs held out. `cascadectl cache SUBCOMMAND --help` says more.
)";

inline constexpr char kCacheStatsUsage[] =
    R"(usage: cascadectl cache stats --orchestrator ADDR [--policy P] [--tenant T]
                             [--timeout-ms N] [--json]

Prints the answer cache of the orchestrator at ADDR (HOST:PORT or unix:PATH), per policy
and in total: answers held and their approximate memory, exact and semantic hits, misses
and the hit rate, answers kept, evicted (for room), expired (TTL) and purged, and the
semantic candidates the guards refused. Counters run from the orchestrator's start.
  --policy P    only policy P (NOT_FOUND names the known ones)
  --tenant T    only tenant T's answers and lookups (`--tenant ""`: requests with none)
On a server with API keys it needs an admin key (server.admin_api_keys_env) in
--api-key-env.
)" CASCADECTL_TLS_USAGE;

inline constexpr char kCachePurgeUsage[] =
    R"(usage: cascadectl cache purge --orchestrator ADDR [--policy P] [--tenant T]
                             [--older-than DURATION] [--all] [--timeout-ms N] [--json]

Removes answers from the answer cache of the orchestrator at ADDR at once (after a model,
prompt or source of truth changed, or when a tenant asks to be forgotten), and prints how
many, per policy. Filters combine: only answers that match every one given go.
  --policy P              policy P's answers
  --tenant T              tenant T's answers (`--tenant ""`: requests that named none)
  --older-than DURATION   answers kept at least DURATION ago: > 0, e.g. 90s, 30m, 2h, 1h30m
                          (units ns, us, ms, s, m, h)
  --all                   every answer: required to purge with no filter, and refused
                          with one, so a forgotten filter never empties the cache
Each orchestrator replica has its own cache: purge every replica. On a server with API
keys it needs an admin key (server.admin_api_keys_env) in --api-key-env.
)" CASCADECTL_TLS_USAGE;

// `args` follow "cache": the subcommand first.
int RunCache(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
