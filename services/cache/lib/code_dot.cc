#include "services/cache/lib/code_dot.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "services/router/lib/vector_ops.h"

namespace cascade::cache {
namespace {

constexpr size_t kInt4Block = 64;  // elements per 32 packed bytes
constexpr int kInt4Offset = 8;     // a stored nibble is the level plus this

}  // namespace

float RoundToLevels(const float* row, size_t dimension, int max_level, int8_t* levels) {
  float max_abs = 0.0f;
  for (size_t i = 0; i < dimension; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
  const auto top = static_cast<float>(max_level);
  const float scale = max_abs / top;
  const float inverse = max_abs > 0.0f ? 1.0f / scale : 0.0f;
  for (size_t i = 0; i < dimension; ++i) {
    levels[i] = static_cast<int8_t>(std::clamp(std::nearbyint(row[i] * inverse), -top, top));
  }
  return scale;
}

size_t Int4PaddedDimension(size_t dimension) {
  return (dimension + kInt4Block - 1) / kInt4Block * kInt4Block;
}

void PackInt4(const int8_t* levels, size_t dimension, uint8_t* packed) {
  const size_t padded = Int4PaddedDimension(dimension);
  const auto nibble = [&](size_t i) {
    return static_cast<uint8_t>((i < dimension ? levels[i] : 0) + kInt4Offset);
  };
  for (size_t block = 0; block < padded; block += kInt4Block) {
    for (size_t j = 0; j < kInt4Block / 2; ++j) {
      packed[block / 2 + j] =
          static_cast<uint8_t>(nibble(block + j) | (nibble(block + j + kInt4Block / 2) << 4));
    }
  }
}

void UnpackInt4(const uint8_t* packed, size_t dimension, int8_t* levels) {
  for (size_t block = 0; block < dimension; block += kInt4Block) {
    const uint8_t* bytes = packed + block / 2;
    const size_t low_count = std::min(kInt4Block / 2, dimension - block);
    for (size_t j = 0; j < low_count; ++j) {
      levels[block + j] = static_cast<int8_t>((bytes[j] & 0x0F) - kInt4Offset);
    }
    for (size_t j = kInt4Block / 2; j < std::min(kInt4Block, dimension - block); ++j) {
      levels[block + j] = static_cast<int8_t>((bytes[j - kInt4Block / 2] >> 4) - kInt4Offset);
    }
  }
}

int32_t Int4NibbleDotScalar(const int8_t* query, const uint8_t* packed, size_t padded_dimension) {
  int32_t sum = 0;
  for (size_t block = 0; block < padded_dimension; block += kInt4Block) {
    for (size_t j = 0; j < kInt4Block / 2; ++j) {
      const uint8_t byte = packed[block / 2 + j];
      sum += int32_t{query[block + j]} * (byte & 0x0F) +
             int32_t{query[block + j + kInt4Block / 2]} * (byte >> 4);
    }
  }
  return sum;
}

// A block's 64 nibbles, unsigned bytes: elements 0..31 (the low nibbles) and 32..63.
struct BlockNibbles {
  __m256i low, high;
};

__attribute__((target("avx2"))) inline BlockNibbles LoadBlockNibbles(const uint8_t* bytes) {
  const __m256i four_bits = _mm256_set1_epi8(0x0F);
  const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes));
  return {_mm256_and_si256(packed, four_bits),
          _mm256_and_si256(_mm256_srli_epi16(packed, 4), four_bits)};
}

__attribute__((target("avx2"))) inline int32_t SumLanes(__m256i lanes) {
  __m128i four = _mm_add_epi32(_mm256_castsi256_si128(lanes), _mm256_extracti128_si256(lanes, 1));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(1, 0, 3, 2)));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(four);
}

// maddubs multiplies the unsigned nibbles by the signed query bytes into pairs of 16-bit
// sums (at most 2 * 15 * 127: no saturation), madd widens them to 32 bits.
__attribute__((target("avx2"))) int32_t Int4NibbleDotAvx2(const int8_t* query,
                                                          const uint8_t* packed,
                                                          size_t padded_dimension) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sums = _mm256_setzero_si256();
  for (size_t block = 0; block < padded_dimension; block += kInt4Block) {
    const BlockNibbles nibbles = LoadBlockNibbles(packed + block / 2);
    const __m256i query_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + block));
    const __m256i query_high =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + block + kInt4Block / 2));
    const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(nibbles.low, query_low),
                                           _mm256_maddubs_epi16(nibbles.high, query_high));
    sums = _mm256_add_epi32(sums, _mm256_madd_epi16(pairs, ones));
  }
  return SumLanes(sums);
}

int32_t Int4PairDotScalar(const uint8_t* a, const uint8_t* b, size_t padded_dimension) {
  int32_t sum = 0;
  for (size_t i = 0; i < padded_dimension / 2; ++i) {
    sum += ((a[i] & 0x0F) - kInt4Offset) * ((b[i] & 0x0F) - kInt4Offset) +
           ((a[i] >> 4) - kInt4Offset) * ((b[i] >> 4) - kInt4Offset);
  }
  return sum;
}

// sum((x - 8)(y - 8)) = sum(x * y) - 8 * sum(x + y) + 64 * count, over nibbles x, y in
// 0..15: maddubs takes x as unsigned and y as signed bytes (16-bit pairs of at most
// 2 * 225), and x + y (at most 30) against ones gives the sum.
__attribute__((target("avx2"))) int32_t Int4PairDotAvx2(const uint8_t* a, const uint8_t* b,
                                                        size_t padded_dimension) {
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  __m256i products = _mm256_setzero_si256();
  __m256i sums = _mm256_setzero_si256();
  for (size_t block = 0; block < padded_dimension; block += kInt4Block) {
    const BlockNibbles x = LoadBlockNibbles(a + block / 2);
    const BlockNibbles y = LoadBlockNibbles(b + block / 2);
    const __m256i pairs =
        _mm256_add_epi16(_mm256_maddubs_epi16(x.low, y.low), _mm256_maddubs_epi16(x.high, y.high));
    products = _mm256_add_epi32(products, _mm256_madd_epi16(pairs, ones16));
    const __m256i both = _mm256_add_epi8(_mm256_add_epi8(x.low, y.low),
                                         _mm256_add_epi8(x.high, y.high));  // at most 60
    sums = _mm256_add_epi32(sums, _mm256_madd_epi16(_mm256_maddubs_epi16(both, ones8), ones16));
  }
  const __m256i total = _mm256_sub_epi32(products, _mm256_slli_epi32(sums, 3));
  return SumLanes(total) + 64 * static_cast<int32_t>(padded_dimension);
}

// GCC 12 reports its own AVX-512 headers as using uninitialized values (a known false
// positive), here as in the engine's VNNI kernels.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
// A block's 64 nibbles in one register, in element order.
__attribute__((target("avx512f"))) inline __m512i Joined(const BlockNibbles& nibbles) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(nibbles.low), nibbles.high, 1);
}

// The nibbles are unsigned, so vpdpbusd takes them as they are: one instruction per block.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int32_t Int4NibbleDotVnni(
    const int8_t* query, const uint8_t* packed, size_t padded_dimension) {
  __m512i sums = _mm512_setzero_si512();
  for (size_t block = 0; block < padded_dimension; block += kInt4Block) {
    const __m512i nibbles = Joined(LoadBlockNibbles(packed + block / 2));
    sums = _mm512_dpbusd_epi32(sums, nibbles, _mm512_loadu_si512(query + block));
  }
  return _mm512_reduce_add_epi32(sums);
}

// As the AVX2 loop, a block per step: x * y and (x + y) * 1 by vpdpbusd.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int32_t Int4PairDotVnni(
    const uint8_t* a, const uint8_t* b, size_t padded_dimension) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i products = _mm512_setzero_si512();
  __m512i sums = _mm512_setzero_si512();
  for (size_t block = 0; block < padded_dimension; block += kInt4Block) {
    const __m512i xs = Joined(LoadBlockNibbles(a + block / 2));
    const __m512i ys = Joined(LoadBlockNibbles(b + block / 2));
    products = _mm512_dpbusd_epi32(products, xs, ys);
    sums = _mm512_dpbusd_epi32(sums, _mm512_add_epi8(xs, ys), ones);
  }
  return _mm512_reduce_add_epi32(_mm512_sub_epi32(products, _mm512_slli_epi32(sums, 3))) +
         64 * static_cast<int32_t>(padded_dimension);
}
#pragma GCC diagnostic pop

bool CpuHasAvx2() { return __builtin_cpu_supports("avx2"); }

bool CpuHasAvx512Vnni() {
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

// Asked on first use: a namespace-scope constant could be initialised before the router's
// switch.
Int4NibbleDot PickInt4NibbleDot() {
  static const Int4NibbleDot loop = [] {
    if (!router::VectorOpsUseAvx2()) return Int4NibbleDotScalar;
    return CpuHasAvx512Vnni() ? Int4NibbleDotVnni : Int4NibbleDotAvx2;
  }();
  return loop;
}

Int4PairDot PickInt4PairDot() {
  static const Int4PairDot loop = [] {
    if (!router::VectorOpsUseAvx2()) return Int4PairDotScalar;
    return CpuHasAvx512Vnni() ? Int4PairDotVnni : Int4PairDotAvx2;
  }();
  return loop;
}

}  // namespace cascade::cache
