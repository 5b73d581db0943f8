// cascade-cache-bench: what a semantic miss costs the answer cache (issue 23's goal: at most
// 0.5 ms at p99 with 100,000 entries, release build). For each size, three caches hold the
// same entries, one scope and one context key (the worst case: every entry is a candidate):
//   index        the AnswerCache as configured by default (HNSW from 2,048 entries in a
//                bucket, ranking by 4-bit codes, the best 8 re-ranked on the floats; our
//                graph search, which prefetches a node's neighbours together)
//   faiss search the same graph searched by FAISS (one row read at a time)
//   float index  a graph over the float rows, our search (the storage before the codes)
//   scan         the HNSW threshold out of reach: an exact scan of every entry, the baseline
// then the same random queries go to each, each timed on its own (AnswerCache::Lookup, one
// thread). Entries and queries are random L2-normalised vectors, so every lookup is a miss
// by similarity (threshold 0.99); "same best" is the share of them where the index found the
// scan's best candidate (random high-dimensional vectors are HNSW's hardest case; real
// embeddings cluster). "near-dup hit": of up to 200 near duplicates of stored entries
// (similarity about 0.97, threshold 0.95, same text), the share that hit: what matters to a
// cache, whose hits are near duplicates.
// Before the table: what embedding a query's text costs (the cache's hashed embedder), the
// other part of what a semantic miss adds to a request.
//
//   cascade-cache-bench [--sizes=1000,10000,100000] [--queries=1000] [--dimension=512]

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "services/cache/lib/answer_cache.h"
#include "services/cache/lib/cache_embedder.h"

namespace cascade::cache::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::vector<size_t> sizes = {1000, 10000, 100000};
  size_t queries = 1000;
  size_t dimension = 512;
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--sizes=")) {
      flags.sizes.clear();
      for (absl::string_view part : absl::StrSplit(arg.substr(8), ',')) {
        size_t size = 0;
        if (!absl::SimpleAtoi(part, &size) || size == 0) return false;
        flags.sizes.push_back(size);
      }
    } else if (absl::StartsWith(arg, "--queries=")) {
      if (!absl::SimpleAtoi(arg.substr(10), &flags.queries) || flags.queries == 0) return false;
    } else if (absl::StartsWith(arg, "--dimension=")) {
      if (!absl::SimpleAtoi(arg.substr(12), &flags.dimension) || flags.dimension == 0) return false;
    } else {
      return false;
    }
  }
  return !flags.sizes.empty();
}

std::vector<float> RandomUnitVectors(size_t count, size_t dimension, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal;
  std::vector<float> rows(count * dimension);
  for (size_t i = 0; i < count; ++i) {
    float* row = rows.data() + i * dimension;
    double norm = 0.0;
    for (size_t j = 0; j < dimension; ++j) {
      row[j] = normal(generator);
      norm += static_cast<double>(row[j]) * row[j];
    }
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t j = 0; j < dimension; ++j) row[j] *= scale;
  }
  return rows;
}

enum class Path { kIndex, kFaissSearch, kFloatIndex, kScan };

struct PathSpec {
  Path path;
  const char* name;
};
// The scan first: "same best" compares each index's best candidate with its exact one.
constexpr PathSpec kPaths[] = {{Path::kScan, "scan"},
                               {Path::kIndex, "index"},
                               {Path::kFaissSearch, "faiss search"},
                               {Path::kFloatIndex, "float index"}};

std::unique_ptr<AnswerCache> MakeCache(size_t dimension, size_t entries, Path path) {
  AnswerCacheOptions options;
  options.embedding_dimension = dimension;
  options.max_entries = entries;
  options.max_bytes = std::numeric_limits<size_t>::max();
  if (path == Path::kFaissSearch) options.index.hnsw_faiss_search = true;
  if (path == Path::kFloatIndex) options.index.hnsw_storage = HnswStorage::kFloat;
  if (path == Path::kScan) options.index.hnsw_min_entries = std::numeric_limits<size_t>::max();
  return *AnswerCache::Create(std::move(options));
}

const AnswerCacheScope kScope{"default", "bench"};

double Fill(AnswerCache& cache, const std::vector<float>& rows, size_t count, size_t dimension) {
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < count; ++i) {
    AnswerCacheInsert insert;
    insert.scope = kScope;
    insert.exact_key = absl::StrCat("key-", i);
    insert.query_text = absl::StrCat("query ", i);
    insert.embedding = absl::MakeConstSpan(rows.data() + i * dimension, dimension);
    insert.answer.text = "an answer of a few words";
    if (!cache.Insert(insert).ok()) std::abort();
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Timings {
  std::vector<double> micros;  // per lookup
  std::vector<float> best;     // best similarity per lookup (-2: none)
  size_t hits = 0;
};

// `texts[q]` is query q's text (empty: a text no entry has).
Timings Measure(AnswerCache& cache, const std::vector<float>& queries, size_t count,
                size_t dimension, float threshold, const std::vector<std::string>& texts) {
  Timings timings;
  for (size_t q = 0; q < count; ++q) {
    AnswerCacheQuery query;
    query.scope = kScope;
    query.query_text = texts.empty() ? "a new query" : texts[q];
    query.embedding = absl::MakeConstSpan(queries.data() + q * dimension, dimension);
    query.similarity_threshold = threshold;
    const Clock::time_point start = Clock::now();
    const absl::StatusOr<AnswerCacheLookup> result = cache.Lookup(query);
    const Clock::time_point end = Clock::now();
    if (!result.ok()) std::abort();
    timings.micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    timings.best.push_back(result->best_similarity.value_or(-2.0f));
    timings.hits += result->hit();
  }
  return timings;
}

// Near duplicates of stored entries: entry i's vector plus a random one at a quarter of its
// length (similarity about 0.97), with entry i's text.
void NearDuplicates(const std::vector<float>& rows, size_t size, size_t dimension, size_t count,
                    std::vector<float>& queries, std::vector<std::string>& texts) {
  const std::vector<float> noise = RandomUnitVectors(count, dimension, /*seed=*/7);
  queries.assign(count * dimension, 0.0f);
  texts.clear();
  for (size_t q = 0; q < count; ++q) {
    const size_t entry = (q * 7919) % size;
    double norm = 0.0;
    for (size_t j = 0; j < dimension; ++j) {
      const float value = rows[entry * dimension + j] + 0.25f * noise[q * dimension + j];
      queries[q * dimension + j] = value;
      norm += static_cast<double>(value) * value;
    }
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t j = 0; j < dimension; ++j) queries[q * dimension + j] *= scale;
    texts.push_back(absl::StrCat("query ", entry));
  }
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Query texts of a few shapes and lengths (6 to 30 words), as users type them.
std::vector<std::string> QueryTexts(size_t count) {
  struct Shape {
    const char* before;
    const char* after;
  };
  static constexpr Shape kShapes[] = {
      {"what's the weather in city ", " tomorrow"},
      {"how do I reset my password for account ", ""},
      {"Can you explain the difference between a Roth IRA and a traditional IRA? I am ",
       " years old"},
      {"translate 'where is the train station' into language number ", " please"},
      {"Summarise the main causes of the first world war in ",
       " bullet points, with dates, and say which historians disagree about the role of the "
       "alliance system and why"},
  };
  std::vector<std::string> texts;
  for (size_t i = 0; i < count; ++i) {
    const Shape& shape = kShapes[i % std::size(kShapes)];
    texts.push_back(absl::StrCat(shape.before, i, shape.after));
  }
  return texts;
}

void PrintEmbeddingCost(size_t count) {
  auto embedder = MakeCacheEmbedder();
  if (!embedder.ok()) std::abort();
  std::vector<double> micros;
  for (const std::string& text : QueryTexts(count)) {
    const Clock::time_point start = Clock::now();
    const absl::StatusOr<std::vector<float>> embedding = EmbedQuery(**embedder, text);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (!embedding.ok() || embedding->empty()) std::abort();
  }
  std::printf(
      "embedding a query (hashed, %zu texts of 6 to 30 words): p50 %.1f us, p99 %.1f us\n\n", count,
      Percentile(micros, 0.5), Percentile(micros, 0.99));
}

int Run(const Flags& flags) {
  PrintEmbeddingCost(flags.queries);
  std::printf("semantic lookup latency per Lookup, %zu-dim, %zu queries, one thread\n",
              flags.dimension, flags.queries);
  std::printf("%9s  %-12s  %9s  %12s  %12s  %9s  %12s\n", "entries", "path", "fill s",
              "miss p50 us", "miss p99 us", "same best", "near-dup hit");
  const std::vector<float> queries =
      RandomUnitVectors(flags.queries, flags.dimension, /*seed=*/0xC0FFEE);
  const auto share = [](size_t part, size_t whole) {
    return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  };
  for (size_t size : flags.sizes) {
    const std::vector<float> rows = RandomUnitVectors(size, flags.dimension, /*seed=*/42);
    std::vector<float> duplicates;
    std::vector<std::string> duplicate_texts;
    const size_t duplicate_count = std::min<size_t>(flags.queries, 200);
    NearDuplicates(rows, size, flags.dimension, duplicate_count, duplicates, duplicate_texts);
    std::vector<float> exact_best;
    for (const PathSpec& spec : kPaths) {
      auto cache = MakeCache(flags.dimension, size, spec.path);
      const double fill = Fill(*cache, rows, size, flags.dimension);
      // Random queries: every one a miss by similarity.
      const Timings misses = Measure(*cache, queries, flags.queries, flags.dimension, 0.99f, {});
      if (misses.hits != 0) std::abort();
      const Timings near =
          Measure(*cache, duplicates, duplicate_count, flags.dimension, 0.95f, duplicate_texts);
      std::string same = "-";
      if (spec.path == Path::kScan) {
        exact_best = misses.best;
      } else {
        size_t equal = 0;
        for (size_t q = 0; q < flags.queries; ++q) equal += misses.best[q] == exact_best[q];
        same = absl::StrFormat("%.1f%%", share(equal, flags.queries));
      }
      std::printf("%9zu  %-12s  %9.2f  %12.1f  %12.1f  %9s  %11.1f%%\n", size, spec.name, fill,
                  Percentile(misses.micros, 0.5), Percentile(misses.micros, 0.99), same.c_str(),
                  share(near.hits, duplicate_count));
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace
}  // namespace cascade::cache::bench

int main(int argc, char** argv) {
  cascade::cache::bench::Flags flags;
  if (!cascade::cache::bench::ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: cascade-cache-bench [--sizes=1000,10000,100000] [--queries=1000] "
                 "[--dimension=512]\n");
    return 2;
  }
  return cascade::cache::bench::Run(flags);
}
