#include "services/router/lib/exemplar_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

namespace cascade::router {
namespace {

constexpr size_t kDimension = 32;

// `count` random unit vectors (fixed seed).
std::vector<float> UnitVectors(size_t count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> vectors(count * kDimension);
  for (size_t i = 0; i < count; ++i) {
    float* row = vectors.data() + i * kDimension;
    float norm = 0.0f;
    for (size_t d = 0; d < kDimension; ++d) {
      row[d] = normal(random);
      norm += row[d] * row[d];
    }
    for (size_t d = 0; d < kDimension; ++d) row[d] /= std::sqrt(norm);
  }
  return vectors;
}

std::vector<std::vector<Neighbor>> SearchAll(const ExemplarIndex& index,
                                             const std::vector<float>& queries, int k) {
  std::vector<std::vector<Neighbor>> results;
  for (size_t q = 0; q < queries.size() / kDimension; ++q) {
    results.push_back(index.Search(queries.data() + q * kDimension, k));
  }
  return results;
}

// FAISS inserts each HNSW level's points with an OpenMP team; the index builds on one
// thread so that the same data always gives the same graph. (CTest runs this with
// OMP_NUM_THREADS=4, see CMakeLists.txt, so that a parallel build would show here.)
TEST(ExemplarIndexTest, HnswBuildsAreRepeatable) {
  const std::vector<float> vectors = UnitVectors(3000, 1);
  const std::vector<float> queries = UnitVectors(300, 2);
  ExemplarIndexOptions options;
  options.hnsw_min_exemplars = 1;  // HNSW for this small set.
  options.hnsw_m = 8;
  options.hnsw_ef_construction = 16;
  options.hnsw_ef_search = 16;
  std::vector<std::vector<Neighbor>> first;
  for (int build = 0; build < 4; ++build) {
    absl::StatusOr<std::unique_ptr<ExemplarIndex>> index =
        ExemplarIndex::Build(vectors.data(), 3000, kDimension, options);
    ASSERT_TRUE(index.ok()) << index.status();
    ASSERT_TRUE((*index)->is_hnsw());
    std::vector<std::vector<Neighbor>> results = SearchAll(**index, queries, 10);
    if (build == 0) {
      first = std::move(results);
      continue;
    }
    ASSERT_EQ(results.size(), first.size());
    for (size_t q = 0; q < results.size(); ++q) {
      ASSERT_EQ(results[q].size(), first[q].size()) << "build " << build << ", query " << q;
      for (size_t i = 0; i < results[q].size(); ++i) {
        EXPECT_EQ(results[q][i].exemplar, first[q][i].exemplar)
            << "build " << build << ", query " << q << ", neighbour " << i;
        EXPECT_EQ(results[q][i].similarity, first[q][i].similarity);
      }
    }
  }
}

TEST(ExemplarIndexTest, HnswFindsMostExactNeighbours) {
  const std::vector<float> vectors = UnitVectors(3000, 3);
  const std::vector<float> queries = UnitVectors(100, 4);
  ExemplarIndexOptions exact_options;
  exact_options.hnsw_min_exemplars = 1000000;
  ExemplarIndexOptions hnsw_options;
  hnsw_options.hnsw_min_exemplars = 1;
  auto exact = ExemplarIndex::Build(vectors.data(), 3000, kDimension, exact_options);
  auto hnsw = ExemplarIndex::Build(vectors.data(), 3000, kDimension, hnsw_options);
  ASSERT_TRUE(exact.ok() && hnsw.ok());
  EXPECT_FALSE((*exact)->is_hnsw());
  EXPECT_TRUE((*hnsw)->is_hnsw());
  // A wide beam finds the exact top 10 (random 32-d vectors: harder than text).
  (*hnsw)->set_hnsw_ef_search(256);
  const auto truth = SearchAll(**exact, queries, 10);
  const auto found = SearchAll(**hnsw, queries, 10);
  int hits = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    for (const Neighbor& neighbor : found[q]) {
      for (const Neighbor& expected : truth[q]) hits += neighbor.exemplar == expected.exemplar;
    }
  }
  EXPECT_GE(hits, 0.95 * 10 * truth.size());
}

TEST(ExemplarIndexTest, RejectsBadHnswOptions) {
  const std::vector<float> vectors = UnitVectors(10, 5);
  for (auto [m, ef_construction, ef_search] :
       {std::tuple{1, 20, 32}, std::tuple{16, 0, 32}, std::tuple{16, 20, 0}}) {
    ExemplarIndexOptions options;
    options.hnsw_m = m;
    options.hnsw_ef_construction = ef_construction;
    options.hnsw_ef_search = ef_search;
    EXPECT_EQ(ExemplarIndex::Build(vectors.data(), 10, kDimension, options).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace cascade::router
