#include "services/cache/lib/semantic_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/cache/unit_vectors.h"

namespace cascade::cache {
namespace {

constexpr size_t kDimension = 16;

std::vector<float> RandomUnitVectors(size_t count, uint32_t seed) {
  return testing::RandomUnitVectors(count, kDimension, seed);
}

// The exact answer, for comparison.
uint64_t BruteForceNearest(const std::vector<float>& rows, const std::vector<bool>& live,
                           const float* query) {
  uint64_t best = 0;
  float best_similarity = -2.0f;
  for (size_t i = 0; i < live.size(); ++i) {
    if (!live[i]) continue;
    float similarity = 0.0f;
    for (size_t j = 0; j < kDimension; ++j) similarity += rows[i * kDimension + j] * query[j];
    if (similarity > best_similarity) {
      best_similarity = similarity;
      best = i;
    }
  }
  return best;
}

TEST(SemanticIndexTest, EmptyIndexHasNoMatch) {
  const SemanticIndex index(kDimension, {});
  const std::vector<float> query = RandomUnitVectors(1, 1);
  EXPECT_FALSE(index.Nearest(query.data()).has_value());
}

TEST(SemanticIndexTest, ExactScanFindsTheMostSimilarAndTiesGoToTheOldest) {
  SemanticIndex index(kDimension, {});
  const std::vector<float> rows = RandomUnitVectors(50, 2);
  for (uint64_t i = 0; i < 50; ++i) index.Add(100 + i, rows.data() + i * kDimension);
  // The same vector again under another id: equally similar, the older (100 + 7) wins.
  index.Add(999, rows.data() + 7 * kDimension);
  EXPECT_FALSE(index.uses_hnsw());
  const std::vector<bool> live(50, true);
  const std::vector<float> queries = RandomUnitVectors(20, 3);
  for (size_t q = 0; q < 20; ++q) {
    const auto match = index.Nearest(queries.data() + q * kDimension);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->id, 100 + BruteForceNearest(rows, live, queries.data() + q * kDimension));
  }
  const auto self = index.Nearest(rows.data() + 7 * kDimension);
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->id, 107u);
  EXPECT_NEAR(self->similarity, 1.0f, 1e-5);
}

TEST(SemanticIndexTest, RemovedEntriesAreNeverReturnedAndTheScanCompacts) {
  SemanticIndex index(kDimension, {});
  const std::vector<float> rows = RandomUnitVectors(200, 4);
  for (uint64_t i = 0; i < 200; ++i) index.Add(i, rows.data() + i * kDimension);
  std::vector<bool> live(200, true);
  for (uint64_t i = 0; i < 200; i += 2) {
    EXPECT_TRUE(index.Remove(i));
    live[i] = false;
  }
  EXPECT_FALSE(index.Remove(0));
  index.Remove(1);  // one past half: the rows are compacted
  live[1] = false;
  EXPECT_EQ(index.size(), 99u);
  EXPECT_EQ(index.rows(), 99u);
  for (uint64_t i = 0; i < 200; ++i) {
    const auto match = index.Nearest(rows.data() + i * kDimension);
    ASSERT_TRUE(match.has_value());
    EXPECT_TRUE(live[match->id]) << match->id;
    EXPECT_EQ(match->id, BruteForceNearest(rows, live, rows.data() + i * kDimension));
  }
}

TEST(SemanticIndexTest, LargeBucketsUseHnswThatFindsStoredVectorsAndSkipsTombstones) {
  SemanticIndexOptions options;
  options.hnsw_min_entries = 100;
  SemanticIndex index(kDimension, options);
  const std::vector<float> rows = RandomUnitVectors(400, 5);
  for (uint64_t i = 0; i < 99; ++i) index.Add(i, rows.data() + i * kDimension);
  EXPECT_FALSE(index.uses_hnsw());
  for (uint64_t i = 99; i < 400; ++i) index.Add(i, rows.data() + i * kDimension);
  EXPECT_TRUE(index.uses_hnsw());

  // A stored vector finds itself (16 dimensions: HNSW is as good as exact here).
  for (uint64_t i = 0; i < 400; i += 7) {
    const auto match = index.Nearest(rows.data() + i * kDimension);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->id, i);
  }
  // Tombstones: a removed vector is not found, even by itself.
  for (uint64_t i = 0; i < 150; ++i) index.Remove(i);
  EXPECT_TRUE(index.uses_hnsw());
  EXPECT_EQ(index.rows(), 400u);  // 150 of 400 dead: below the rebuild share
  for (uint64_t i = 0; i < 150; ++i) {
    const auto match = index.Nearest(rows.data() + i * kDimension);
    ASSERT_TRUE(match.has_value());
    EXPECT_GE(match->id, 150u);
  }
  // Past half dead (at the 201st removal): rebuilt from the 199 live rows, still a graph.
  for (uint64_t i = 150; i < 210; ++i) index.Remove(i);
  EXPECT_EQ(index.rows(), 199u);
  EXPECT_EQ(index.size(), 190u);
  EXPECT_TRUE(index.uses_hnsw());
  const auto match = index.Nearest(rows.data() + 300 * kDimension);
  ASSERT_TRUE(match.has_value());
  EXPECT_EQ(match->id, 300u);
  // Rebuilt below the threshold: back to an exact scan.
  for (uint64_t i = 210; i < 330; ++i) index.Remove(i);
  EXPECT_FALSE(index.uses_hnsw());
  EXPECT_EQ(index.size(), 70u);
}

// The graph ranks by 4-bit codes (or floats) and is searched by our search (or FAISS's); the
// similarity returned is the exact one of the float rows, and in 16 dimensions every
// combination finds the exact best.
TEST(SemanticIndexTest, HnswReturnsTheExactSimilarityWhateverItRanksBy) {
  const std::vector<float> rows = RandomUnitVectors(400, 8);
  const std::vector<float> queries = RandomUnitVectors(100, 9);
  const std::vector<bool> live(400, true);
  for (const HnswStorage storage : {HnswStorage::kInt4, HnswStorage::kFloat}) {
    for (const bool faiss_search : {false, true}) {
      SemanticIndexOptions options;
      options.hnsw_min_entries = 100;
      options.hnsw_storage = storage;
      options.hnsw_faiss_search = faiss_search;
      SemanticIndex index(kDimension, options);
      for (uint64_t i = 0; i < 400; ++i) index.Add(i, rows.data() + i * kDimension);
      ASSERT_TRUE(index.uses_hnsw());
      for (size_t q = 0; q < 100; ++q) {
        const float* query = queries.data() + q * kDimension;
        const auto match = index.Nearest(query);
        ASSERT_TRUE(match.has_value());
        EXPECT_EQ(match->id, BruteForceNearest(rows, live, query))
            << "storage " << static_cast<int>(storage) << ", FAISS search: " << faiss_search;
        float exact = 0.0f;
        for (size_t j = 0; j < kDimension; ++j) {
          exact += rows[match->id * kDimension + j] * query[j];
        }
        EXPECT_NEAR(match->similarity, exact, 1e-6) << "storage " << static_cast<int>(storage);
      }
    }
  }
}

TEST(SemanticIndexTest, SameOperationsGiveTheSameAnswers) {
  SemanticIndexOptions options;
  options.hnsw_min_entries = 64;
  SemanticIndex first(kDimension, options);
  SemanticIndex second(kDimension, options);
  const std::vector<float> rows = RandomUnitVectors(500, 6);
  for (SemanticIndex* index : {&first, &second}) {
    for (uint64_t i = 0; i < 500; ++i) index->Add(i, rows.data() + i * kDimension);
    for (uint64_t i = 0; i < 500; i += 3) index->Remove(i);
  }
  const std::vector<float> queries = RandomUnitVectors(100, 7);
  for (size_t q = 0; q < 100; ++q) {
    const auto a = first.Nearest(queries.data() + q * kDimension);
    const auto b = second.Nearest(queries.data() + q * kDimension);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->id, b->id);
    EXPECT_EQ(a->similarity, b->similarity);
  }
}

}  // namespace
}  // namespace cascade::cache
