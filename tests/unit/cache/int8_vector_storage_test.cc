// The 8-bit storage the answer cache's HNSW graph ranks by: codes within half a step of the
// floats; the graph's distances are the products of the codes, the query rounded like a row,
// and within the rounding of the exact ones; a zero row and odd dimensions. (The integer
// loops themselves are compared in int8_code_dot_test.cc.)

#include "services/cache/lib/int8_vector_storage.h"

#include <faiss/impl/FaissException.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace cascade::cache {
namespace {

constexpr size_t kDimension = 512;

std::vector<float> RandomUnitVector(std::mt19937& generator, size_t dimension = kDimension) {
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

// What the graph's search scores: the query rounded to codes as a row is, then decoded.
std::vector<float> RoundedLikeARow(const Int8VectorStorage& storage,
                                   const std::vector<float>& query) {
  std::vector<uint8_t> code(storage.code_size);
  storage.sa_encode(1, query.data(), code.data());
  std::vector<float> decoded(query.size());
  storage.sa_decode(1, code.data(), decoded.data());
  return decoded;
}

TEST(Int8VectorStorageTest, CodesDecodeWithinHalfAStepAndProductsStayClose) {
  Int8VectorStorage storage(kDimension);
  ASSERT_EQ(storage.code_size, kDimension + sizeof(float));
  std::mt19937 generator(3);
  for (int trial = 0; trial < 50; ++trial) {
    const std::vector<float> row = RandomUnitVector(generator);
    const std::vector<float> query = RandomUnitVector(generator);
    std::vector<uint8_t> code(storage.code_size);
    storage.sa_encode(1, row.data(), code.data());
    std::vector<float> decoded(kDimension);
    storage.sa_decode(1, code.data(), decoded.data());
    float max_abs = 0.0f;
    for (float value : row) max_abs = std::max(max_abs, std::fabs(value));
    const float step = max_abs / 127.0f;
    for (size_t i = 0; i < kDimension; ++i) {
      ASSERT_LE(std::fabs(decoded[i] - row[i]), step / 2 + 1e-7f) << "component " << i;
    }
    // The distance is the decoded rows' product, and within the rounding of the exact one.
    Int8VectorStorage one_row(kDimension);
    one_row.add(1, row.data());
    std::unique_ptr<faiss::FlatCodesDistanceComputer> distances(
        one_row.get_FlatCodesDistanceComputer());
    distances->set_query(query.data());
    EXPECT_NEAR((*distances)(0), Dot(RoundedLikeARow(storage, query), decoded), 1e-5);
    EXPECT_NEAR((*distances)(0), Dot(query, row), 5e-3);
  }
}

TEST(Int8VectorStorageTest, AZeroRowAndOddDimensionsAreHandled) {
  // 37 and 100 dimensions: the vector loops' tails run (100 = 64 + 36 = 6 * 16 + 4).
  for (const size_t dimension : {size_t{37}, size_t{100}}) {
    Int8VectorStorage storage(static_cast<faiss::Index::idx_t>(dimension));
    std::mt19937 generator(4);
    const std::vector<float> zero(dimension, 0.0f);
    const std::vector<float> row = RandomUnitVector(generator, dimension);
    storage.add(1, zero.data());
    storage.add(1, row.data());
    std::unique_ptr<faiss::FlatCodesDistanceComputer> distances(
        storage.get_FlatCodesDistanceComputer());
    const std::vector<float> query = RandomUnitVector(generator, dimension);
    distances->set_query(query.data());
    EXPECT_EQ((*distances)(0), 0.0f) << dimension;
    EXPECT_NEAR((*distances)(1), Dot(query, row), 2e-2) << dimension;
    // A zero query (all codes 0, scale 0) is as far from every row.
    distances->set_query(zero.data());
    EXPECT_EQ((*distances)(1), 0.0f) << dimension;
  }
}

TEST(Int8VectorStorageTest, TheGraphsDistancesAreTheCodesProducts) {
  Int8VectorStorage storage(kDimension);
  std::mt19937 generator(5);
  std::vector<float> rows;
  for (int i = 0; i < 3; ++i) {
    const std::vector<float> row = RandomUnitVector(generator);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  storage.add(3, rows.data());
  ASSERT_EQ(storage.ntotal, 3);
  std::unique_ptr<faiss::FlatCodesDistanceComputer> distances(
      storage.get_FlatCodesDistanceComputer());
  const std::vector<float> query = RandomUnitVector(generator);
  distances->set_query(query.data());
  std::vector<float> decoded(3 * kDimension);
  storage.sa_decode(3, storage.codes.data(), decoded.data());
  const std::vector<float> second(decoded.begin() + kDimension, decoded.begin() + 2 * kDimension);
  const std::vector<float> third(decoded.begin() + 2 * kDimension, decoded.end());
  EXPECT_NEAR((*distances)(1), Dot(RoundedLikeARow(storage, query), second), 1e-5);
  EXPECT_NEAR(distances->symmetric_dis(1, 2), Dot(second, third), 1e-5);
  // Searched through the graph only.
  float score;
  faiss::Index::idx_t label;
  EXPECT_THROW(storage.search(1, query.data(), 1, &score, &label), faiss::FaissException);
}

}  // namespace
}  // namespace cascade::cache
