#include "services/cache/lib/int8_code_dot.h"

#include <immintrin.h>

#include "services/router/lib/vector_ops.h"

namespace cascade::cache {

int32_t Int8CodeDotScalar(const int8_t* a, const int8_t* b, size_t dimension) {
  int32_t sum = 0;
  for (size_t i = 0; i < dimension; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

__attribute__((target("avx2"))) int32_t Int8CodeDotAvx2(const int8_t* a, const int8_t* b,
                                                        size_t dimension) {
  __m256i sums = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= dimension; i += 16) {
    const __m256i wide_a =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i wide_b =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    sums = _mm256_add_epi32(sums, _mm256_madd_epi16(wide_a, wide_b));
  }
  __m128i four = _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(1, 0, 3, 2)));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(2, 3, 0, 1)));
  int32_t sum = _mm_cvtsi128_si32(four);
  for (; i < dimension; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

// GCC 12 reports its own AVX-512 reduction as using uninitialized values (a known false
// positive), here as in the engine's VNNI kernels.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
// 64 codes per instruction. vpdpbusd multiplies unsigned by signed bytes, so `a` goes in
// as a + 128 (its sign bit flipped) and 128 * sum(b) comes off again.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) int32_t Int8CodeDotVnni(const int8_t* a,
                                                                               const int8_t* b,
                                                                               size_t dimension) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i products = _mm512_setzero_si512();
  __m512i b_sums = _mm512_setzero_si512();
  for (size_t i = 0; i < dimension; i += 64) {
    // Past the end b loads zeros, so neither sum gains anything there.
    const __mmask64 mask =
        dimension - i >= 64 ? ~__mmask64{0} : (__mmask64{1} << (dimension - i)) - 1;
    const __m512i shifted_a = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, a + i), flip);
    const __m512i values_b = _mm512_maskz_loadu_epi8(mask, b + i);
    products = _mm512_dpbusd_epi32(products, shifted_a, values_b);
    b_sums = _mm512_dpbusd_epi32(b_sums, ones, values_b);
  }
  return _mm512_reduce_add_epi32(_mm512_sub_epi32(products, _mm512_slli_epi32(b_sums, 7)));
}
#pragma GCC diagnostic pop

bool CpuHasAvx2() { return __builtin_cpu_supports("avx2"); }

bool CpuHasAvx512Vnni() {
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
}

// Asked on first use: a namespace-scope constant could be initialised before the router's
// switch.
Int8CodeDot PickInt8CodeDot() {
  static const Int8CodeDot loop = [] {
    if (!router::VectorOpsUseAvx2()) return Int8CodeDotScalar;
    return CpuHasAvx512Vnni() ? Int8CodeDotVnni : Int8CodeDotAvx2;
  }();
  return loop;
}

}  // namespace cascade::cache
