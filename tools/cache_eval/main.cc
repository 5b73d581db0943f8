// cascade-cache-eval: how often a semantic answer cache would answer right and wrong, with
// and without the near-miss guard (services/cache/lib/near_miss_guard.h), on labelled query
// pairs (tools/cache_eval/pair_set.h) embedded with the cache's embedder, scored as
// the cache's threshold fit scores them (services/cache/lib/threshold_fit.h). --write-pairs
// writes the pairs as the fit's labelled pairs file (tools/cache_eval/pairs_file.h).

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "services/cache/lib/cache_embedder.h"
#include "services/cache/lib/near_miss_guard.h"
#include "services/cache/lib/threshold_fit.h"
#include "services/router/lib/hashed_embedder.h"
#include "tools/bench/router/clinc150.h"
#include "tools/cache_eval/pair_set.h"
#include "tools/cache_eval/pairs_file.h"

namespace cascade::cache_eval {
namespace {

constexpr char kUsage[] =
    R"(usage: cascade-cache-eval [--data=PATH] [--seed=N] [--pairs-per-group=N] [--threshold=X]
                          [--list] [--write-pairs=PAIRS.jsonl]

Measures a semantic answer cache on labelled query pairs: true paraphrases (the cached
answer is right) and near-misses (same template, another city, number, unit, date, name; a
negation; a qualifier that narrows the question: the cached answer is wrong). Each query is
embedded with the cache's embedder (services/cache/lib/cache_embedder.h: the router's hashed
n-grams, fitted on no corpus); a pair is a hit when the cosine similarity of the two vectors
is at least the threshold. For thresholds 0.50..0.98 it
prints the hit rate on paraphrases and the wrong-hit rate on near-misses, without and with
the near-miss guard. "goal": with the guard, wrong hits <= 0.5% of near-misses and hits
>= 50% of paraphrases (CLINC and template pooled).

  --data=PATH           CLINC150 JSON (default: tests/data/clinc150_data_full.json)
  --seed=N              seed of the pair sampling (default 23)
  --pairs-per-group=N   at most N pairs per CLINC intent or template family (default 100)
  --threshold=X         the threshold of the per-family breakdown (default 0.90)
  --list                also list the paraphrases the guard refuses and the near-misses
                        that are wrong hits with the guard at --threshold
  --write-pairs=PATH    also write the pairs as a labelled pairs file for `cascadectl
                        cache fit` (paraphrases "same": true, near-misses false; each
                        pair's CLINC intent or template family as its "route")
)";

struct Scored {
  const QueryPair* pair;
  double similarity;
  cache::NearMissVerdict verdict;
};

struct Rates {
  double hit = 0, guarded_hit = 0;
};

Rates RatesAt(const std::vector<Scored>& scored, double threshold, bool lowercased_only = false) {
  size_t total = 0, hits = 0, guarded = 0;
  for (const Scored& s : scored) {
    if (lowercased_only && !s.pair->lowercased) continue;
    ++total;
    if (s.similarity < threshold) continue;
    ++hits;
    if (!s.verdict.refused()) ++guarded;
  }
  if (total == 0) return {};
  return {static_cast<double>(hits) / total, static_cast<double>(guarded) / total};
}

absl::StatusOr<std::vector<Scored>> Score(const std::vector<QueryPair>& pairs,
                                          const router::Embedder& embedder,
                                          const cache::NearMissGuard& guard) {
  std::vector<cache::TextPair> texts;
  for (const QueryPair& pair : pairs) texts.push_back({pair.first, pair.second});
  absl::StatusOr<std::vector<cache::PairScore>> scores = cache::ScorePairs(texts, embedder, guard);
  if (!scores.ok()) return scores.status();
  std::vector<Scored> scored;
  for (size_t i = 0; i < pairs.size(); ++i) {
    scored.push_back({&pairs[i], (*scores)[i].similarity, (*scores)[i].verdict});
  }
  return scored;
}

// The pairs as `cascadectl cache fit` reads them, each group as its route.
std::vector<cache::LabelledPair> Labelled(const PairSet& set) {
  std::vector<cache::LabelledPair> labelled;
  for (const auto* pairs : {&set.clinc_paraphrases, &set.template_paraphrases, &set.near_misses}) {
    const bool same = pairs != &set.near_misses;
    for (const QueryPair& pair : *pairs) {
      labelled.push_back({pair.first, pair.second, same, pair.group});
    }
  }
  return labelled;
}

// The p-th percentile of the pairs' similarities, nearest rank.
double Percentile(const std::vector<Scored>& scored, double p) {
  std::vector<double> similarities;
  for (const Scored& s : scored) similarities.push_back(s.similarity);
  std::sort(similarities.begin(), similarities.end());
  const size_t rank = static_cast<size_t>(p / 100.0 * (similarities.size() - 1) + 0.5);
  return similarities.empty() ? 0.0 : similarities[rank];
}

void PrintRefusals(const char* what, const std::vector<Scored>& scored) {
  std::map<std::string, size_t> by_check;
  for (const Scored& s : scored)
    ++by_check[std::string(cache::NearMissCheckName(s.verdict.refused_by))];
  std::printf("  %-22s %5zu pairs; guard refuses:", what, scored.size());
  for (const char* check : {"numbers", "negation", "entities", "swaps", "additions"}) {
    std::printf(" %s %zu,", check, by_check[check]);
  }
  std::printf(" in all %.1f%%; similarity p10 %.2f, p50 %.2f, p90 %.2f\n",
              100.0 * (scored.size() - by_check["none"]) / scored.size(), Percentile(scored, 10),
              Percentile(scored, 50), Percentile(scored, 90));
}

void ListPairs(const char* title, const std::vector<Scored>& scored,
               const std::function<bool(const Scored&)>& selected) {
  std::printf("\n%s:\n", title);
  for (const Scored& s : scored) {
    if (!selected(s)) continue;
    std::printf("  %.3f  %-9s %s | %s  (%s)\n", s.similarity,
                std::string(cache::NearMissCheckName(s.verdict.refused_by)).c_str(),
                s.pair->first.c_str(), s.pair->second.c_str(), s.verdict.reason.c_str());
  }
}

// Near-miss families with wrong hits under the guard at `threshold`.
void PrintWrongHitsByFamily(const std::vector<Scored>& near_misses, double threshold) {
  std::map<std::string, std::pair<size_t, size_t>> by_family;  // (wrong hits, pairs)
  for (const Scored& s : near_misses) {
    auto& [wrong, pairs] = by_family[s.pair->group];
    ++pairs;
    if (s.similarity >= threshold && !s.verdict.refused()) ++wrong;
  }
  std::printf("\nnear-miss wrong hits with the guard at %.2f, by family:\n", threshold);
  for (const auto& [family, counts] : by_family) {
    std::printf("  %-18s %4zu of %4zu\n", family.c_str(), counts.first, counts.second);
  }
}

int Report(const std::vector<Scored>& clinc, const std::vector<Scored>& templated,
           const std::vector<Scored>& near, size_t dimension, uint64_t seed,
           double report_threshold, bool list) {
  std::vector<Scored> paraphrases = clinc;
  paraphrases.insert(paraphrases.end(), templated.begin(), templated.end());

  std::printf("the cache's embedder (hashed n-grams, dimension %zu, no corpus); seed %llu\n",
              dimension, static_cast<unsigned long long>(seed));
  PrintRefusals("clinc paraphrases", clinc);
  PrintRefusals("template paraphrases", templated);
  PrintRefusals("near-misses", near);

  std::printf("\n%5s | %-15s | %-15s | %-15s | %-15s | %-15s | %s\n", "", "clinc para hit",
              "tmpl para hit", "all para hit", "near-miss wrong", "lowercase wrong", "");
  std::printf("%5s | %7s %7s | %7s %7s | %7s %7s | %7s %7s | %7s %7s | %s\n", "thr", "raw", "guard",
              "raw", "guard", "raw", "guard", "raw", "guard", "raw", "guard", "goal");
  for (int step = 0; step <= 24; ++step) {
    const double threshold = 0.50 + 0.02 * step;
    const Rates c = RatesAt(clinc, threshold), t = RatesAt(templated, threshold),
                p = RatesAt(paraphrases, threshold), n = RatesAt(near, threshold),
                l = RatesAt(near, threshold, /*lowercased_only=*/true);
    const bool goal = p.guarded_hit >= 0.5 && n.guarded_hit <= 0.005;
    std::printf(
        "%5.2f | %6.1f%% %6.1f%% | %6.1f%% %6.1f%% | %6.1f%% %6.1f%% | %6.2f%% %6.2f%% | "
        "%6.2f%% %6.2f%% | %s\n",
        threshold, 100 * c.hit, 100 * c.guarded_hit, 100 * t.hit, 100 * t.guarded_hit, 100 * p.hit,
        100 * p.guarded_hit, 100 * n.hit, 100 * n.guarded_hit, 100 * l.hit, 100 * l.guarded_hit,
        goal ? "yes" : "no");
  }
  PrintWrongHitsByFamily(near, report_threshold);
  if (list) {
    auto refused = [](const Scored& s) { return s.verdict.refused(); };
    ListPairs("clinc paraphrases the guard refuses", clinc, refused);
    ListPairs("template paraphrases the guard refuses", templated, refused);
    ListPairs("near-misses that are wrong hits with the guard", near, [&](const Scored& s) {
      return s.similarity >= report_threshold && !s.verdict.refused();
    });
  }
  return 0;
}

int Run(const std::string& data_path, uint64_t seed, size_t pairs_per_group,
        double report_threshold, bool list, const std::string& write_pairs) {
  absl::StatusOr<router::bench::Clinc150> data = router::bench::LoadClinc150(data_path);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  // The cache's own: what a policy's semantic lookups compare.
  absl::StatusOr<std::unique_ptr<router::HashedEmbedder>> embedder = cache::MakeCacheEmbedder();
  if (!embedder.ok()) {
    std::fprintf(stderr, "%s\n", embedder.status().ToString().c_str());
    return 1;
  }
  const PairSet set = BuildPairSet(data->train, pairs_per_group, seed);
  if (!write_pairs.empty()) {
    const std::vector<cache::LabelledPair> labelled = Labelled(set);
    if (absl::Status written = WritePairsFile(write_pairs, labelled); !written.ok()) {
      std::fprintf(stderr, "%s\n", written.ToString().c_str());
      return 1;
    }
    std::printf("wrote %zu labelled pairs to %s\n", labelled.size(), write_pairs.c_str());
  }

  const cache::NearMissGuard guard;
  const size_t dimension = (*embedder)->dimension();
  absl::StatusOr<std::vector<Scored>> clinc = Score(set.clinc_paraphrases, **embedder, guard);
  absl::StatusOr<std::vector<Scored>> templated =
      Score(set.template_paraphrases, **embedder, guard);
  absl::StatusOr<std::vector<Scored>> near = Score(set.near_misses, **embedder, guard);
  for (const auto* scored : {&clinc, &templated, &near}) {
    if (!scored->ok()) {
      std::fprintf(stderr, "%s\n", scored->status().ToString().c_str());
      return 1;
    }
  }
  return Report(*clinc, *templated, *near, dimension, seed, report_threshold, list);
}

}  // namespace
}  // namespace cascade::cache_eval

int main(int argc, char** argv) {
  std::string data = cascade::router::bench::DefaultClinc150Path();
  uint64_t seed = 23;
  size_t pairs_per_group = 100;
  double threshold = 0.90;
  bool list = false;
  std::string write_pairs;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(cascade::cache_eval::kUsage, stdout);
      return 0;
    }
    if (arg == "--list") {
      list = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    const absl::string_view value =
        equals == absl::string_view::npos ? absl::string_view() : arg.substr(equals + 1);
    bool ok = equals != absl::string_view::npos;
    if (name == "--data") {
      data = std::string(value);
    } else if (name == "--seed") {
      ok = ok && absl::SimpleAtoi(value, &seed);
    } else if (name == "--pairs-per-group") {
      ok = ok && absl::SimpleAtoi(value, &pairs_per_group) && pairs_per_group > 0;
    } else if (name == "--threshold") {
      ok = ok && absl::SimpleAtod(value, &threshold);
    } else if (name == "--write-pairs") {
      write_pairs = std::string(value);
      ok = ok && !write_pairs.empty();
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad argument %s\n\n%s", argv[i], cascade::cache_eval::kUsage);
      return 2;
    }
  }
  return cascade::cache_eval::Run(data, seed, pairs_per_group, threshold, list, write_pairs);
}
