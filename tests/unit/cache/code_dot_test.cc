// The rounding and integer code products the answer cache's graph ranks by: levels spread
// over the largest component; 4-bit packing round-trips, the nibble product is the levels'
// product plus 8 times the query's sum, and the pair product is two rows' levels' product; the AVX2
// and AVX-512 VNNI loops give the scalar loop's exact sums at every length (padded blocks included)
// and at the extremes of the code range. A loop the CPU lacks is skipped, saying so.

#include "services/cache/lib/code_dot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace cascade::cache {
namespace {

std::vector<int8_t> RandomLevels(std::mt19937& generator, size_t dimension, int top) {
  std::uniform_int_distribution<int> level(-top, top);
  std::vector<int8_t> levels(dimension);
  for (int8_t& value : levels) value = static_cast<int8_t>(level(generator));
  return levels;
}

// Packed rows and queries zero-padded to whole blocks, as the 4-bit storage keeps them.
struct PackedRow {
  std::vector<uint8_t> packed;
  std::vector<int8_t> padded_query;
};

PackedRow Pack(const std::vector<int8_t>& row, const std::vector<int8_t>& query) {
  const size_t padded = Int4PaddedDimension(row.size());
  PackedRow result{std::vector<uint8_t>(padded / 2), std::vector<int8_t>(padded, 0)};
  PackInt4(row.data(), row.size(), result.packed.data());
  std::copy(query.begin(), query.end(), result.padded_query.begin());
  return result;
}

void ExpectNibbleSumsAsScalar(Int4NibbleDot loop) {
  std::mt19937 generator(29);
  for (const size_t dimension : {1, 37, 64, 65, 100, 512, 1000}) {
    for (int trial = 0; trial < 20; ++trial) {
      const PackedRow row =
          Pack(RandomLevels(generator, dimension, 7), RandomLevels(generator, dimension, 127));
      const size_t padded = Int4PaddedDimension(dimension);
      ASSERT_EQ(loop(row.padded_query.data(), row.packed.data(), padded),
                Int4NibbleDotScalar(row.padded_query.data(), row.packed.data(), padded))
          << "dimension " << dimension;
    }
    // The extremes: nibble 15 (level 7) against +-127.
    const PackedRow high =
        Pack(std::vector<int8_t>(dimension, 7), std::vector<int8_t>(dimension, 127));
    const PackedRow low =
        Pack(std::vector<int8_t>(dimension, 7), std::vector<int8_t>(dimension, -127));
    const auto all = static_cast<int32_t>(dimension) * 15 * 127;
    const size_t padded = Int4PaddedDimension(dimension);
    EXPECT_EQ(loop(high.padded_query.data(), high.packed.data(), padded), all) << dimension;
    EXPECT_EQ(loop(low.padded_query.data(), low.packed.data(), padded), -all) << dimension;
  }
}

TEST(CodeDotTest, RoundingSpreadsLevelsOverTheLargestComponent) {
  const std::vector<float> row = {0.6f, -1.0f, 0.26f, 0.0f, 0.07f};
  std::vector<int8_t> levels(row.size());
  EXPECT_FLOAT_EQ(RoundToLevels(row.data(), row.size(), 7, levels.data()), 1.0f / 7.0f);
  EXPECT_EQ(levels, (std::vector<int8_t>{4, -7, 2, 0, 0}));
  EXPECT_FLOAT_EQ(RoundToLevels(row.data(), row.size(), 127, levels.data()), 1.0f / 127.0f);
  EXPECT_EQ(levels, (std::vector<int8_t>{76, -127, 33, 0, 9}));
  const std::vector<float> zero(3, 0.0f);
  EXPECT_EQ(RoundToLevels(zero.data(), zero.size(), 7, levels.data()), 0.0f);
  EXPECT_EQ(std::vector<int8_t>(levels.begin(), levels.begin() + 3), (std::vector<int8_t>(3, 0)));
}

TEST(CodeDotTest, Int4PackingRoundTripsAndTheNibbleProductIsOffsetByEight) {
  std::mt19937 generator(31);
  for (const size_t dimension : {1, 32, 63, 64, 100, 512}) {
    const std::vector<int8_t> row = RandomLevels(generator, dimension, 7);
    const std::vector<int8_t> query = RandomLevels(generator, dimension, 127);
    const PackedRow packed = Pack(row, query);
    ASSERT_EQ(packed.packed.size(), Int4PaddedDimension(dimension) / 2);
    std::vector<int8_t> unpacked(dimension);
    UnpackInt4(packed.packed.data(), dimension, unpacked.data());
    EXPECT_EQ(unpacked, row) << dimension;
    int32_t query_sum = 0;
    for (int8_t value : query) query_sum += value;
    int32_t levels_product = 0;
    for (size_t i = 0; i < dimension; ++i) levels_product += int32_t{row[i]} * query[i];
    EXPECT_EQ(Int4NibbleDotScalar(packed.padded_query.data(), packed.packed.data(),
                                  Int4PaddedDimension(dimension)) -
                  8 * query_sum,
              levels_product)
        << dimension;
  }
}

// Two packed rows: the scalar pair product is the levels' product, padding included.
TEST(CodeDotTest, Int4PairProductIsTheLevelsProduct) {
  std::mt19937 generator(37);
  for (const size_t dimension : {1, 37, 64, 100, 512}) {
    const std::vector<int8_t> first = RandomLevels(generator, dimension, 7);
    const std::vector<int8_t> second = RandomLevels(generator, dimension, 7);
    const size_t padded = Int4PaddedDimension(dimension);
    std::vector<uint8_t> a(padded / 2), b(padded / 2);
    PackInt4(first.data(), dimension, a.data());
    PackInt4(second.data(), dimension, b.data());
    int32_t levels_product = 0;
    for (size_t i = 0; i < dimension; ++i) levels_product += int32_t{first[i]} * second[i];
    EXPECT_EQ(Int4PairDotScalar(a.data(), b.data(), padded), levels_product) << dimension;
  }
}

void ExpectPairSumsAsScalar(Int4PairDot loop) {
  std::mt19937 generator(41);
  for (const size_t dimension : {1, 37, 64, 65, 100, 512, 1000}) {
    const size_t padded = Int4PaddedDimension(dimension);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<uint8_t> a(padded / 2), b(padded / 2);
      PackInt4(RandomLevels(generator, dimension, 7).data(), dimension, a.data());
      PackInt4(RandomLevels(generator, dimension, 7).data(), dimension, b.data());
      ASSERT_EQ(loop(a.data(), b.data(), padded), Int4PairDotScalar(a.data(), b.data(), padded))
          << "dimension " << dimension;
    }
    // The extremes: levels +-7 everywhere.
    std::vector<uint8_t> high(padded / 2), low(padded / 2);
    PackInt4(std::vector<int8_t>(dimension, 7).data(), dimension, high.data());
    PackInt4(std::vector<int8_t>(dimension, -7).data(), dimension, low.data());
    const auto all = static_cast<int32_t>(dimension) * 49;
    EXPECT_EQ(loop(high.data(), high.data(), padded), all) << dimension;
    EXPECT_EQ(loop(low.data(), low.data(), padded), all) << dimension;
    EXPECT_EQ(loop(high.data(), low.data(), padded), -all) << dimension;
  }
}

TEST(CodeDotTest, Avx2PairLoopMatchesScalar) {
  if (!CpuHasAvx2()) GTEST_SKIP() << "this CPU has no AVX2";
  ExpectPairSumsAsScalar(Int4PairDotAvx2);
}

TEST(CodeDotTest, VnniPairLoopMatchesScalar) {
  if (!CpuHasAvx512Vnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  ExpectPairSumsAsScalar(Int4PairDotVnni);
}

TEST(CodeDotTest, Avx2NibbleLoopMatchesScalar) {
  if (!CpuHasAvx2()) GTEST_SKIP() << "this CPU has no AVX2";
  ExpectNibbleSumsAsScalar(Int4NibbleDotAvx2);
}

TEST(CodeDotTest, VnniNibbleLoopMatchesScalar) {
  if (!CpuHasAvx512Vnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  ExpectNibbleSumsAsScalar(Int4NibbleDotVnni);
}

}  // namespace
}  // namespace cascade::cache
