#include "services/cache/lib/hnsw_graph_search.h"

#include <faiss/IndexHNSW.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "services/router/lib/faiss_support.h"
#include "tests/unit/cache/unit_vectors.h"

namespace cascade::cache {
namespace {

constexpr size_t kDimension = 24;

std::vector<float> RandomUnitVectors(size_t count, uint32_t seed) {
  return testing::RandomUnitVectors(count, kDimension, seed);
}

// A float-row HNSW graph as the cache builds it (M = 8 so that a few hundred rows make
// several levels).
std::unique_ptr<faiss::IndexHNSW> BuildGraph(const std::vector<float>& rows) {
  auto graph = std::make_unique<faiss::IndexHNSW>(
      new router::FlatInnerProductStorage(static_cast<faiss::Index::idx_t>(kDimension)), 8);
  graph->own_fields = true;
  graph->is_trained = true;
  graph->hnsw.efConstruction = 40;
  graph->hnsw.rng = faiss::RandomGenerator(router::kHnswLevelSeed);
  router::SingleThreadedOpenMp single_threaded;
  graph->add(static_cast<faiss::Index::idx_t>(rows.size() / kDimension), rows.data());
  return graph;
}

float Dot(const float* a, const float* b) {
  float sum = 0.0f;
  for (size_t j = 0; j < kDimension; ++j) sum += a[j] * b[j];
  return sum;
}

// The exact best `k` live rows, most similar first.
std::vector<int64_t> ExactBest(const std::vector<float>& rows, const float* query, size_t k,
                               const std::vector<bool>* live) {
  std::vector<std::pair<float, int64_t>> scored;
  for (size_t i = 0; i < rows.size() / kDimension; ++i) {
    if (live != nullptr && !(*live)[i]) continue;
    scored.push_back({-Dot(rows.data() + i * kDimension, query), static_cast<int64_t>(i)});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<int64_t> best;
  for (size_t i = 0; i < std::min(k, scored.size()); ++i) best.push_back(scored[i].second);
  return best;
}

std::vector<int64_t> Rows(const std::vector<ScoredRow>& found) {
  std::vector<int64_t> rows;
  for (const ScoredRow& row : found) rows.push_back(row.row);
  return rows;
}

// With a beam as wide as the graph, the search reaches every row: it is exact, and it
// returns the storage's similarities, most similar first.
TEST(HnswGraphSearchTest, ABeamAsWideAsTheGraphIsExact) {
  const std::vector<float> rows = RandomUnitVectors(300, 1);
  const auto graph = BuildGraph(rows);
  ASSERT_GT(graph->hnsw.max_level, 0);  // the descent through upper levels is exercised
  const std::vector<float> queries = RandomUnitVectors(40, 2);
  HnswSearchScratch scratch;
  for (size_t q = 0; q < 40; ++q) {
    const float* query = queries.data() + q * kDimension;
    const std::vector<ScoredRow> found = SearchHnswGraph(*graph, query, 300, 5, nullptr, scratch);
    EXPECT_EQ(Rows(found), ExactBest(rows, query, 5, nullptr)) << "query " << q;
    for (const ScoredRow& row : found) {
      EXPECT_FLOAT_EQ(row.similarity, Dot(rows.data() + row.row * kDimension, query));
    }
  }
}

// At the cache's beam width a stored vector finds itself, as FAISS's own search does.
TEST(HnswGraphSearchTest, FindsStoredVectorsAsOftenAsFaissSearch) {
  const std::vector<float> rows = RandomUnitVectors(2000, 3);
  const auto graph = BuildGraph(rows);
  HnswSearchScratch scratch;
  int ours = 0, faiss_found = 0;
  for (int64_t i = 0; i < 2000; i += 10) {
    const float* query = rows.data() + i * kDimension;
    const std::vector<ScoredRow> found = SearchHnswGraph(*graph, query, 64, 1, nullptr, scratch);
    ASSERT_EQ(found.size(), 1u);
    ours += found[0].row == i;
    float score = 0.0f;
    faiss::Index::idx_t label = -1;
    faiss::SearchParametersHNSW params;
    params.efSearch = 64;
    router::SingleThreadedOpenMp single_threaded;
    graph->search(1, query, 1, &score, &label, &params);
    faiss_found += label == i;
  }
  EXPECT_GE(ours, 198);  // of 200
  EXPECT_GE(ours, faiss_found);
}

// Rows marked dead are walked through but never returned, even when they are the nearest;
// the live rows behind them still are.
TEST(HnswGraphSearchTest, TombstonesAreNeverReturned) {
  const std::vector<float> rows = RandomUnitVectors(300, 4);
  const auto graph = BuildGraph(rows);
  std::vector<bool> live(300, true);
  for (size_t i = 0; i < 300; i += 2) live[i] = false;  // every even row dead
  HnswSearchScratch scratch;
  for (int64_t i = 0; i < 300; i += 2) {
    const float* query = rows.data() + i * kDimension;
    const std::vector<ScoredRow> found = SearchHnswGraph(*graph, query, 300, 3, &live, scratch);
    EXPECT_EQ(Rows(found), ExactBest(rows, query, 3, &live)) << "query " << i;
  }
  std::vector<bool> none_live(300, false);
  EXPECT_TRUE(SearchHnswGraph(*graph, rows.data(), 300, 3, &none_live, scratch).empty());
}

// The scratch is reused across searches (and across graphs of other sizes) without leaking
// one search's visits into the next.
TEST(HnswGraphSearchTest, ScratchReuseGivesTheSameAnswers) {
  const std::vector<float> small_rows = RandomUnitVectors(120, 5);
  const std::vector<float> rows = RandomUnitVectors(500, 6);
  const auto small_graph = BuildGraph(small_rows);
  const auto graph = BuildGraph(rows);
  const std::vector<float> queries = RandomUnitVectors(20, 7);
  HnswSearchScratch shared;
  for (size_t q = 0; q < 20; ++q) {
    const float* query = queries.data() + q * kDimension;
    SearchHnswGraph(*small_graph, query, 32, 4, nullptr, shared);
    HnswSearchScratch fresh;
    EXPECT_EQ(Rows(SearchHnswGraph(*graph, query, 32, 4, nullptr, shared)),
              Rows(SearchHnswGraph(*graph, query, 32, 4, nullptr, fresh)));
  }
  shared.stamp = UINT32_MAX;  // the next search wraps the stamp
  HnswSearchScratch fresh;
  EXPECT_EQ(Rows(SearchHnswGraph(*graph, queries.data(), 32, 4, nullptr, shared)),
            Rows(SearchHnswGraph(*graph, queries.data(), 32, 4, nullptr, fresh)));
}

}  // namespace
}  // namespace cascade::cache
