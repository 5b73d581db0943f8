// The integer code products the answer cache's graph ranks by: the AVX2 and AVX-512 VNNI
// loops give the scalar loop's exact sums at every length (their tails included) and at the
// extremes of the code range. A loop the CPU lacks is skipped, saying so.

#include "services/cache/lib/int8_code_dot.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace cascade::cache {
namespace {

std::vector<int8_t> RandomCodes(std::mt19937& generator, size_t dimension) {
  std::uniform_int_distribution<int> level(-127, 127);
  std::vector<int8_t> codes(dimension);
  for (int8_t& code : codes) code = static_cast<int8_t>(level(generator));
  return codes;
}

void ExpectSameSumsAsScalar(Int8CodeDot loop) {
  std::mt19937 generator(23);
  for (const size_t dimension : {1, 15, 16, 17, 37, 63, 64, 65, 100, 512, 1000}) {
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<int8_t> a = RandomCodes(generator, dimension);
      const std::vector<int8_t> b = RandomCodes(generator, dimension);
      ASSERT_EQ(loop(a.data(), b.data(), dimension),
                Int8CodeDotScalar(a.data(), b.data(), dimension))
          << "dimension " << dimension;
    }
    // The extremes: every product +-127 * 127.
    const std::vector<int8_t> high(dimension, 127), low(dimension, -127);
    const auto all = static_cast<int32_t>(dimension) * 127 * 127;
    EXPECT_EQ(loop(high.data(), high.data(), dimension), all) << dimension;
    EXPECT_EQ(loop(low.data(), low.data(), dimension), all) << dimension;
    EXPECT_EQ(loop(high.data(), low.data(), dimension), -all) << dimension;
    EXPECT_EQ(loop(low.data(), high.data(), dimension), -all) << dimension;
  }
}

TEST(Int8CodeDotTest, ScalarLoopSumsTheProducts) {
  const std::vector<int8_t> a = {1, -2, 3, 127, -127};
  const std::vector<int8_t> b = {5, 6, -7, 127, 1};
  EXPECT_EQ(Int8CodeDotScalar(a.data(), b.data(), a.size()), 5 - 12 - 21 + 16129 - 127);
  EXPECT_EQ(Int8CodeDotScalar(a.data(), b.data(), 0), 0);
}

TEST(Int8CodeDotTest, Avx2LoopMatchesScalar) {
  if (!CpuHasAvx2()) GTEST_SKIP() << "this CPU has no AVX2";
  ExpectSameSumsAsScalar(Int8CodeDotAvx2);
}

TEST(Int8CodeDotTest, VnniLoopMatchesScalar) {
  if (!CpuHasAvx512Vnni()) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  ExpectSameSumsAsScalar(Int8CodeDotVnni);
}

}  // namespace
}  // namespace cascade::cache
