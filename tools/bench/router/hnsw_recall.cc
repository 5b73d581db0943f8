// cascade-router-hnsw-recall: how well the router's HNSW index finds the exact nearest
// exemplars, and what it costs, for a grid of (M, efConstruction, efSearch).
//
// Embeds CLINC150's 15,000 train exemplars with the default hashed embedder, builds the
// exact (flat) index and one HNSW graph per (M, efConstruction), and searches the val and
// test queries (in-scope and out-of-scope) with each efSearch. Prints one row per setting:
// recall@k against the exact index, build seconds and microseconds per query (one thread).
// An HNSW neighbour counts as found when it is one of the exact top k or exactly as
// similar as the exact k-th (ties at the cut-off are not misses).
//
//   cascade-router-hnsw-recall [--m=16,32] [--ef-construction=20,40,80]
//                              [--ef-search=16,32,64,128] [--k=10] [--queries=N] [--data=PATH]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "services/router/lib/embedding_rows.h"
#include "services/router/lib/exemplar_index.h"
#include "services/router/lib/hashed_embedder.h"
#include "tools/bench/router/clinc150.h"

namespace cascade::router::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool ParseList(const std::string& text, std::vector<int>& out) {
  out.clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1) return false;
    out.push_back(value);
  }
  return !out.empty();
}

struct Args {
  std::vector<int> m = {16, 32};
  std::vector<int> ef_construction = {20, 40, 80};
  std::vector<int> ef_search = {16, 32, 64, 128};
  int k = 10;
  int queries = 0;  // 0: all.
  std::string data = DefaultClinc150Path();
};

// Recall of `found` against the exact neighbours `exact` (most similar first).
double Recall(const std::vector<Neighbor>& exact, const std::vector<Neighbor>& found) {
  if (exact.empty()) return 1.0;
  const float cutoff = exact.back().similarity;
  int hits = 0;
  for (const Neighbor& neighbor : found) {
    const bool listed = std::any_of(exact.begin(), exact.end(), [&](const Neighbor& e) {
      return e.exemplar == neighbor.exemplar;
    });
    if (listed || neighbor.similarity >= cutoff - 1e-5f) ++hits;
  }
  return std::min(1.0, static_cast<double>(hits) / static_cast<double>(exact.size()));
}

struct SearchRun {
  std::vector<std::vector<Neighbor>> results;
  double micros_per_query = 0.0;
};

SearchRun SearchAll(const ExemplarIndex& index, const Embeddings& queries,
                    const std::vector<size_t>& rows, int k) {
  SearchRun run;
  run.results.reserve(rows.size());
  const auto start = Clock::now();
  for (size_t row : rows) run.results.push_back(index.Search(queries.row(row), k));
  run.micros_per_query = SecondsSince(start) * 1e6 / static_cast<double>(rows.size());
  return run;
}

int Run(const Args& args) {
  absl::StatusOr<Clinc150> data = LoadClinc150(args.data);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> exemplars;
  for (const LabeledQuery& query : data->train) exemplars.push_back(query.text);
  std::vector<std::string> query_texts;
  for (const auto* split : {&data->val, &data->test, &data->oos_val, &data->oos_test}) {
    for (const LabeledQuery& query : *split) query_texts.push_back(query.text);
  }
  if (args.queries > 0 && static_cast<size_t>(args.queries) < query_texts.size()) {
    // Every n-th, so that a reduced run still spans all four splits.
    std::vector<std::string> reduced;
    const double step = static_cast<double>(query_texts.size()) / args.queries;
    for (int i = 0; i < args.queries; ++i) {
      reduced.push_back(query_texts[static_cast<size_t>(i * step)]);
    }
    query_texts = std::move(reduced);
  }

  absl::StatusOr<std::unique_ptr<HashedEmbedder>> embedder =
      HashedEmbedder::Fit(HashedEmbedderOptions{}, exemplars);
  if (!embedder.ok()) {
    std::fprintf(stderr, "%s\n", embedder.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Embeddings> vectors = EmbedNormalized(**embedder, exemplars);
  absl::StatusOr<Embeddings> queries = EmbedNormalized(**embedder, query_texts);
  if (!vectors.ok() || !queries.ok()) {
    std::fprintf(stderr, "embedding failed: %s %s\n", vectors.status().ToString().c_str(),
                 queries.status().ToString().c_str());
    return 1;
  }
  const size_t dimension = (*embedder)->dimension();
  // Queries without any known feature are never searched (they take the default route).
  std::vector<size_t> rows;
  for (size_t i = 0; i < queries->rows(); ++i) {
    const float* row = queries->row(i);
    if (std::any_of(row, row + dimension, [](float x) { return x != 0.0f; })) rows.push_back(i);
  }

  ExemplarIndexOptions exact_options;
  exact_options.hnsw_min_exemplars = exemplars.size() + 1;
  auto start = Clock::now();
  absl::StatusOr<std::unique_ptr<ExemplarIndex>> exact =
      ExemplarIndex::Build(vectors->dense.data(), exemplars.size(), dimension, exact_options);
  if (!exact.ok()) {
    std::fprintf(stderr, "%s\n", exact.status().ToString().c_str());
    return 1;
  }
  const double exact_build = SecondsSince(start);
  const SearchRun truth = SearchAll(**exact, *queries, rows, args.k);

  std::printf(
      "CLINC150: %zu exemplars (train), %zu queries (val, test, oos_val, oos_test), "
      "dimension %zu, k %d\n\n",
      exemplars.size(), rows.size(), dimension, args.k);
  std::printf("%-6s %6s %6s %10s %10s %10s %12s\n", "index", "M", "efC", "efSearch", "recall@k",
              "build s", "us/query");
  std::printf("%-6s %6s %6s %10s %10.4f %10.3f %12.1f\n", "flat", "-", "-", "-", 1.0, exact_build,
              truth.micros_per_query);
  for (int m : args.m) {
    for (int ef_construction : args.ef_construction) {
      ExemplarIndexOptions options;
      options.hnsw_min_exemplars = 1;
      options.hnsw_m = m;
      options.hnsw_ef_construction = ef_construction;
      start = Clock::now();
      absl::StatusOr<std::unique_ptr<ExemplarIndex>> hnsw =
          ExemplarIndex::Build(vectors->dense.data(), exemplars.size(), dimension, options);
      if (!hnsw.ok()) {
        std::fprintf(stderr, "%s\n", hnsw.status().ToString().c_str());
        return 1;
      }
      const double build = SecondsSince(start);
      for (int ef_search : args.ef_search) {
        (*hnsw)->set_hnsw_ef_search(ef_search);
        const SearchRun run = SearchAll(**hnsw, *queries, rows, args.k);
        double recall = 0.0;
        for (size_t q = 0; q < rows.size(); ++q) recall += Recall(truth.results[q], run.results[q]);
        recall /= static_cast<double>(rows.size());
        std::printf("%-6s %6d %6d %10d %10.4f %10.3f %12.1f\n", "hnsw", m, ef_construction,
                    ef_search, recall, build, run.micros_per_query);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace cascade::router::bench

int main(int argc, char** argv) {
  cascade::router::bench::Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string value = arg.substr(arg.find('=') + 1);
    if (arg.rfind("--m=", 0) == 0 && cascade::router::bench::ParseList(value, args.m)) continue;
    if (arg.rfind("--ef-construction=", 0) == 0 &&
        cascade::router::bench::ParseList(value, args.ef_construction))
      continue;
    if (arg.rfind("--ef-search=", 0) == 0 &&
        cascade::router::bench::ParseList(value, args.ef_search))
      continue;
    if (arg.rfind("--k=", 0) == 0 && absl::SimpleAtoi(value, &args.k) && args.k > 0) continue;
    if (arg.rfind("--queries=", 0) == 0 && absl::SimpleAtoi(value, &args.queries) &&
        args.queries >= 0)
      continue;
    if (arg.rfind("--data=", 0) == 0) {
      args.data = value;
      continue;
    }
    std::fprintf(stderr,
                 "usage: %s [--m=16,32] [--ef-construction=20,40,80] [--ef-search=16,32,64,128] "
                 "[--k=10] [--queries=N] [--data=PATH]\n",
                 argv[0]);
    return 2;
  }
  return cascade::router::bench::Run(args);
}
