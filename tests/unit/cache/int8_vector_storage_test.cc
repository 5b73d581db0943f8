// The 8-bit storage the answer cache's HNSW graph ranks by: codes within half a step of the
// floats, products within the rounding of a 512-dimensional unit vector, a zero row and an
// odd dimension. The AVX2 loops run where the CPU has them; CASCADE_ROUTER_SCALAR=1 runs the
// same checks on the scalar ones.

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
    // The product is the decoded row's, and within the rounding of the exact one.
    EXPECT_NEAR(Int8InnerProduct(query.data(), code.data(), kDimension), Dot(query, decoded), 1e-5);
    EXPECT_NEAR(Int8InnerProduct(query.data(), code.data(), kDimension), Dot(query, row), 5e-3);
  }
}

TEST(Int8VectorStorageTest, AZeroRowAndOddDimensionsAreHandled) {
  // 37 dimensions: the vector loop's tail runs.
  Int8VectorStorage storage(37);
  std::mt19937 generator(4);
  const std::vector<float> zero(37, 0.0f);
  const std::vector<float> query = RandomUnitVector(generator, 37);
  std::vector<uint8_t> code(storage.code_size);
  storage.sa_encode(1, zero.data(), code.data());
  EXPECT_EQ(Int8InnerProduct(query.data(), code.data(), 37), 0.0f);
  const std::vector<float> row = RandomUnitVector(generator, 37);
  storage.sa_encode(1, row.data(), code.data());
  EXPECT_NEAR(Int8InnerProduct(query.data(), code.data(), 37), Dot(query, row), 1e-2);
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
  EXPECT_NEAR((*distances)(1), Dot(query, second), 1e-5);
  EXPECT_NEAR(distances->symmetric_dis(1, 2), Dot(second, third), 1e-5);
  // Searched through the graph only.
  float score;
  faiss::Index::idx_t label;
  EXPECT_THROW(storage.search(1, query.data(), 1, &score, &label), faiss::FaissException);
}

}  // namespace
}  // namespace cascade::cache
