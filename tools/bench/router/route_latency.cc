// cascade-router-latency: in-process Route() latency with all 15,000 CLINC150 train
// exemplars loaded (the goal: p99 <= 1 ms on 2 cores).
//
// Prints the index build time, then a table of latency percentiles for single-threaded
// routing, and the throughput with --threads routing concurrently.
//
//   cascade-router-latency [--queries=N] [--threads=N] [--ef-search=N]
//                          [--scorer=blend|linear|knn] [--data=PATH]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "services/router/lib/labeled_queries.h"
#include "services/router/lib/router.h"
#include "services/router/lib/vector_ops.h"
#include "tools/bench/router/clinc150.h"

namespace cascade::router::bench {
namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: what a call costs without the time other processes held the
// core, so that a shared (noisy) machine still gives a clean number next to wall time.
double ThreadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

double Percentile(std::vector<double> sorted, double fraction) {
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(fraction * sorted.size()));
  return sorted[index];
}

int Run(int queries, int threads, int ef_search, const std::string& scorer,
        const std::string& data_path) {
  absl::StatusOr<Clinc150> data = LoadClinc150(data_path);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  RouterOptions options;
  options.index.scorer.kind = scorer == "linear" ? ScorerKind::kLinear
                              : scorer == "knn"  ? ScorerKind::kKnnVote
                                                 : ScorerKind::kBlend;
  if (ef_search > 0) options.index.index.hnsw_ef_search = ef_search;
  const auto build_start = Clock::now();
  absl::StatusOr<std::unique_ptr<Router>> router =
      Router::Create(RouteSetFromLabeledQueries(data->train), options);
  if (!router.ok()) {
    std::fprintf(stderr, "%s\n", router.status().ToString().c_str());
    return 1;
  }
  const double build_seconds = std::chrono::duration<double>(Clock::now() - build_start).count();
  const std::shared_ptr<const RouteIndex> index = (*router)->Snapshot();
  const RouteIndexBuildStats& stats = index->build_stats();
  std::printf("index: %zu exemplars, %zu routes, %s, scorer %s, vector ops %s\n",
              index->exemplars(), index->routes().routes.size(),
              index->uses_hnsw() ? "HNSW" : "flat", index->scorer_name().c_str(),
              VectorOpsUseAvx2() ? "AVX2+FMA" : "scalar");
  std::printf("build: %.2f s (embed %.2f s, FAISS %.2f s, scorer %.2f s)\n\n", build_seconds,
              stats.embed_seconds, stats.index_seconds, stats.scorer_seconds);

  std::vector<std::string> texts;
  for (const auto* split : {&data->test, &data->oos_test}) {
    for (const LabeledQuery& query : *split) texts.push_back(query.text);
  }
  for (int i = 0; i < 500; ++i) (void)(*router)->Route(texts[i % texts.size()]);  // Warm up.

  std::vector<double> total, cpu, embed, search;
  for (int i = 0; i < queries; ++i) {
    const double cpu_start = ThreadCpuSeconds();
    const auto start = Clock::now();
    absl::StatusOr<Decision> decision = (*router)->Route(texts[i % texts.size()]);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    cpu.push_back((ThreadCpuSeconds() - cpu_start) * 1e6);
    if (!decision.ok()) {
      std::fprintf(stderr, "%s\n", decision.status().ToString().c_str());
      return 1;
    }
    total.push_back(seconds * 1e6);
    embed.push_back(decision->embed_seconds * 1e6);
    search.push_back(decision->search_seconds * 1e6);
  }
  for (auto* series : {&total, &cpu, &embed, &search}) std::sort(series->begin(), series->end());
  std::printf("single thread, %d queries (CLINC150 test + oos_test), microseconds:\n", queries);
  std::printf("%-16s %8s %8s %8s %8s %8s\n", "", "p50", "p90", "p99", "p99.9", "max");
  const std::pair<const char*, std::vector<double>*> rows[] = {{"Route() wall", &total},
                                                               {"Route() cpu", &cpu},
                                                               {"  embed", &embed},
                                                               {"  search+score", &search}};
  for (const auto& [name, series] : rows) {
    std::printf("%-16s %8.1f %8.1f %8.1f %8.1f %8.1f\n", name, Percentile(*series, 0.5),
                Percentile(*series, 0.9), Percentile(*series, 0.99), Percentile(*series, 0.999),
                series->back());
  }

  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t; !stop.load(std::memory_order_relaxed); i += threads) {
        (void)(*router)->Route(texts[i % texts.size()]);
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("\n%d threads: %.0f decisions/s\n", threads, done.load() / elapsed);
  return 0;
}

}  // namespace
}  // namespace cascade::router::bench

int main(int argc, char** argv) {
  int queries = 20000, threads = 2, ef_search = 0;
  std::string scorer = "blend", data = cascade::router::bench::DefaultClinc150Path();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string value = arg.substr(arg.find('=') + 1);
    if (arg.rfind("--queries=", 0) == 0 && absl::SimpleAtoi(value, &queries) && queries > 0)
      continue;
    if (arg.rfind("--threads=", 0) == 0 && absl::SimpleAtoi(value, &threads) && threads > 0)
      continue;
    if (arg.rfind("--ef-search=", 0) == 0 && absl::SimpleAtoi(value, &ef_search)) continue;
    if (arg.rfind("--scorer=", 0) == 0) {
      scorer = value;
      continue;
    }
    if (arg.rfind("--data=", 0) == 0) {
      data = value;
      continue;
    }
    std::fprintf(
        stderr,
        "usage: %s [--queries=N] [--threads=N] [--ef-search=N] [--scorer=blend|linear|knn] "
        "[--data=PATH]\n",
        argv[0]);
    return 2;
  }
  return cascade::router::bench::Run(queries, threads, ef_search, scorer, data);
}
