#pragma once

// `cascadectl cache fit`: the answer cache's similarity thresholds, overall and per route,
// fitted on labelled pairs to a wrong-hit target and measured on pairs held out of the fit
// (services/cache/lib/threshold_fit.h; the file: tools/cache_eval/pairs_file.h). No server.

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kCacheFitUsage[] =
    R"(usage: cascadectl cache fit --pairs PAIRS.jsonl [--max-wrong-hit-rate 0.005]
                           [--holdout 0.3] [--seed 1] [--guards on|off]
                           [--min-route-negatives 50] [--min-threshold 0.5]
                           [--orchestrator-config ORCHESTRATOR.yaml]
                           [--out SNIPPET.yaml] [--json]

Fits the semantic answer cache's similarity_threshold and route_similarity_thresholds
(docs/cache.md) on labelled pairs of last user messages, one JSON object per line:
  {"a": "what's the weather in Paris", "b": "how's the weather in Paris", "same": true,
   "route": "weather"}
"same": true when the answer cached for one is right for the other (a true pair), false
when it would be wrong (a near-miss: another city, number, date, a negation, ...).
"route" (optional) is the router's route the cached answer is given under. Both texts are
embedded with the cache's own embedder and checked by its near-miss guard: a pair is
served at threshold t when its similarity is >= t and the guard lets it through. A served
true pair is a hit, a served near-miss a wrong hit (rates over all pairs of the label).

The pairs are split, per route and label, into a fit part and a held-out part. On the fit
part it picks the lowest threshold whose wrong hits are at most the target share of the
near-misses, overall and for each route with enough near-misses of its own (other routes,
and pairs without one, get the overall threshold). On the held-out part it reports the hit
and wrong-hit rates at those thresholds: pairs the fit did not see, the figures to trust.
Prints a table per route and a YAML snippet for a policy's `cache` block.

  --pairs PATH               the labelled pairs (JSON Lines; a bad line is an error naming
                             its number; true pairs and near-misses are both needed)
  --max-wrong-hit-rate X     the target, in [0, 1) (default 0.005: 0.5% of near-misses)
  --holdout F                share of each route's true pairs and near-misses held out of
                             the fit, in (0, 1) (default 0.3)
  --seed N                   seed of the split (default 1)
  --guards on|off            off: no near-miss guard (as with every guard in
                             disable_guards); default on
  --min-route-negatives N    near-misses a route needs in the fit part for a threshold of
                             its own (default 50)
  --min-threshold X          no threshold below X, in (0, 1] (default 0.5)
  --orchestrator-config PATH the orchestrator's config: score with the embedder its
                             answer cache uses (answer_cache.openai_embedder's endpoint;
                             default, and without one: the hashed embedder)
  --out PATH                 also write the YAML snippet to PATH
  --json                     the report as JSON (with the snippet as config_yaml)
Exit codes: 0 success, 1 the pairs cannot be read or fitted, 2 a usage error.
)";

// Returns the process exit code: 0, 1 (a failure, reported on `err`) or 2 (usage).
int RunCacheFit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
