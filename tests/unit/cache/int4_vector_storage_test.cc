// The 4-bit storage the answer cache's HNSW graph ranks by: codes within half a step of the
// floats; the graph's distances are the products of the decoded codes (the query rounded to
// 8-bit levels), within the rounding of the exact ones; a zero row and dimensions that are
// not whole blocks of 64.

#include "services/cache/lib/int4_vector_storage.h"

#include <faiss/impl/FaissException.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "services/cache/lib/code_dot.h"

namespace cascade::cache {
namespace {

std::vector<float> RandomUnitVector(std::mt19937& generator, size_t dimension) {
  std::normal_distribution<float> normal;
  std::vector<float> row(dimension);
  float norm = 0.0f;
  for (float& value : row) {
    value = normal(generator);
    norm += value * value;
  }
  for (float& value : row) value /= std::sqrt(norm);
  return row;
}

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += double{a[i]} * b[i];
  return static_cast<float>(sum);
}

// What the search scores a query as: rounded to 8-bit levels.
std::vector<float> QueryAsSearched(const std::vector<float>& query) {
  std::vector<int8_t> levels(query.size());
  const float scale = RoundToLevels(query.data(), query.size(), 127, levels.data());
  std::vector<float> decoded(query.size());
  for (size_t i = 0; i < query.size(); ++i) decoded[i] = static_cast<float>(levels[i]) * scale;
  return decoded;
}

std::vector<float> Decoded(const Int4VectorStorage& storage, faiss::Index::idx_t row) {
  std::vector<float> decoded(static_cast<size_t>(storage.d));
  storage.sa_decode(1, storage.codes.data() + row * storage.code_size, decoded.data());
  return decoded;
}

TEST(Int4VectorStorageTest, CodesDecodeWithinHalfAStep) {
  Int4VectorStorage storage(512);
  ASSERT_EQ(storage.code_size, 256 + sizeof(float));  // 5 cache lines, not 9
  std::mt19937 generator(3);
  for (int trial = 0; trial < 50; ++trial) {
    const std::vector<float> row = RandomUnitVector(generator, 512);
    storage.add(1, row.data());
    const std::vector<float> decoded = Decoded(storage, storage.ntotal - 1);
    float max_abs = 0.0f;
    for (float value : row) max_abs = std::max(max_abs, std::fabs(value));
    const float step = max_abs / 7.0f;
    for (size_t i = 0; i < row.size(); ++i) {
      ASSERT_LE(std::fabs(decoded[i] - row[i]), step / 2 + 1e-7f) << "component " << i;
    }
    // The largest component is exact: it sets the scale.
    const auto largest = std::max_element(
        row.begin(), row.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); });
    EXPECT_FLOAT_EQ(decoded[static_cast<size_t>(largest - row.begin())], *largest);
  }
}

TEST(Int4VectorStorageTest, TheGraphsDistancesAreTheCodesProducts) {
  // 512 = whole blocks; 37 and 100: the last block is padded.
  for (const size_t dimension : {size_t{512}, size_t{37}, size_t{100}}) {
    Int4VectorStorage storage(static_cast<faiss::Index::idx_t>(dimension));
    std::mt19937 generator(5);
    std::vector<float> rows;
    for (int i = 0; i < 3; ++i) {
      const std::vector<float> row = RandomUnitVector(generator, dimension);
      rows.insert(rows.end(), row.begin(), row.end());
    }
    storage.add(3, rows.data());
    std::unique_ptr<faiss::FlatCodesDistanceComputer> distances(
        storage.get_FlatCodesDistanceComputer());
    const std::vector<float> query = RandomUnitVector(generator, dimension);
    distances->set_query(query.data());
    const std::vector<float> second = Decoded(storage, 1), third = Decoded(storage, 2);
    EXPECT_NEAR((*distances)(1), Dot(QueryAsSearched(query), second), 1e-5) << dimension;
    EXPECT_NEAR(distances->symmetric_dis(1, 2), Dot(second, third), 1e-5) << dimension;
    // Within the 4-bit rounding of the exact product (at 512 dimensions about 0.006).
    const std::vector<float> exact(rows.begin() + static_cast<long>(dimension),
                                   rows.begin() + 2 * static_cast<long>(dimension));
    EXPECT_NEAR((*distances)(1), Dot(query, exact), 0.05) << dimension;
  }
}

TEST(Int4VectorStorageTest, AZeroRowOrQueryScoresZeroAndSearchIsRefused) {
  Int4VectorStorage storage(100);
  std::mt19937 generator(4);
  const std::vector<float> zero(100, 0.0f);
  const std::vector<float> row = RandomUnitVector(generator, 100);
  storage.add(1, zero.data());
  storage.add(1, row.data());
  EXPECT_EQ(Decoded(storage, 0), zero);
  std::unique_ptr<faiss::FlatCodesDistanceComputer> distances(
      storage.get_FlatCodesDistanceComputer());
  const std::vector<float> query = RandomUnitVector(generator, 100);
  distances->set_query(query.data());
  EXPECT_EQ((*distances)(0), 0.0f);
  distances->set_query(zero.data());
  EXPECT_EQ((*distances)(1), 0.0f);
  float score;
  faiss::Index::idx_t label;
  EXPECT_THROW(storage.search(1, query.data(), 1, &score, &label), faiss::FaissException);
}

}  // namespace
}  // namespace cascade::cache
