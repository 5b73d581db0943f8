// K-quant dot products against Q8_K activations with AVX2 integer instructions: 4-bit (or
// 5-, 6-bit) weights widened to bytes, multiplied with the activations' bytes by maddubs into
// 16-bit pair sums, then by the sub-block scales into 32-bit sums. The integer sums are exact,
// and the float steps per super-block are those of k_quants.cc, so the result is the scalar
// code's to the bit.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "services/inference/engine/k_quants.h"

#define CASCADE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace cascade::engine {
namespace {

CASCADE_AVX2 inline int32_t HorizontalSum(__m256i v) {
  __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4E));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xB1));
  return _mm_cvtsi128_si32(sum);
}

CASCADE_AVX2 inline __m256i Load(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// sum over 32 weights q (unsigned bytes) times activations x (signed bytes), times `scale`,
// as eight 32-bit lanes.
CASCADE_AVX2 inline __m256i ScaledDot(__m256i q, __m256i x, int scale) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(q, x),
                           _mm256_set1_epi16(static_cast<int16_t>(scale)));
}

// Q4_K (`fifth_bits` null) or Q5_K. Weight layout: k_quants.h.
CASCADE_AVX2 float DotAffine(const uint8_t* bytes, const uint8_t* fifth_bits, const uint8_t* qs,
                             const BlockQ8_K& x) {
  uint16_t d_half, dmin_half;
  std::memcpy(&d_half, bytes, 2);
  std::memcpy(&dmin_half, bytes + 2, 2);
  int scales[8], mins[8];
  UnpackScalesAndMins(bytes + 4, scales, mins);
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi8(1);
  const __m256i high = fifth_bits != nullptr ? Load(fifth_bits) : _mm256_setzero_si256();
  __m256i sum = _mm256_setzero_si256();
  for (int chunk = 0; chunk < 4; ++chunk) {
    const __m256i packed = Load(qs + 32 * chunk);
    __m256i lo = _mm256_and_si256(packed, low_nibbles);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
    if (fifth_bits != nullptr) {
      lo = _mm256_or_si256(
          lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 2 * chunk), ones), 4));
      hi = _mm256_or_si256(
          hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 2 * chunk + 1), ones), 4));
    }
    sum = _mm256_add_epi32(sum, ScaledDot(lo, Load(x.qs + 64 * chunk), scales[2 * chunk]));
    sum = _mm256_add_epi32(sum, ScaledDot(hi, Load(x.qs + 64 * chunk + 32), scales[2 * chunk + 1]));
  }
  int32_t sum_mins = 0;
  for (int j = 0; j < 8; ++j) sum_mins += mins[j] * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  return _cvtsh_ss(d_half) * x.d * HorizontalSum(sum) - _cvtsh_ss(dmin_half) * x.d * sum_mins;
}

// Bits [shift, shift + 2) of each byte of `qh`, moved to bits 4 and 5.
CASCADE_AVX2 inline __m256i TopBits(__m256i qh, int shift, __m256i two_bits) {
  return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, shift), two_bits), 4);
}

// Q6_K: the quants plus 32 (0..63, unsigned for maddubs); the 32 * sum(x) that adds is taken
// off with the activations' 16-sums.
CASCADE_AVX2 float DotQ6_K(const uint8_t* bytes, const BlockQ8_K& x) {
  // In place: copying the 210-byte block out first tripled the time.
  const uint8_t* ql = bytes + offsetof(BlockQ6_K, ql);
  const uint8_t* qh_bytes = bytes + offsetof(BlockQ6_K, qh);
  const auto* block_scales = reinterpret_cast<const int8_t*>(bytes + offsetof(BlockQ6_K, scales));
  uint16_t d;
  std::memcpy(&d, bytes + offsetof(BlockQ6_K, d), 2);
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i two_bits = _mm256_set1_epi8(3);
  __m256i sum = _mm256_setzero_si256();
  for (int half = 0; half < 2; ++half) {
    const __m256i ql0 = Load(ql + 64 * half);
    const __m256i ql1 = Load(ql + 64 * half + 32);
    const __m256i qh = Load(qh_bytes + 32 * half);
    const __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(ql0, low_nibbles), TopBits(qh, 0, two_bits)),
        _mm256_or_si256(_mm256_and_si256(ql1, low_nibbles), TopBits(qh, 2, two_bits)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low_nibbles),
                        TopBits(qh, 4, two_bits)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low_nibbles),
                        TopBits(qh, 6, two_bits)),
    };
    for (int k = 0; k < 4; ++k) {
      // 32 weights = two sub-blocks of 16, with their own scales: the first eight 16-bit pair
      // sums belong to the first.
      const int first = 8 * half + 2 * k;
      const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(block_scales[first + 1]),
                                              _mm_set1_epi16(block_scales[first]));
      const __m256i pairs = _mm256_maddubs_epi16(q[k], Load(x.qs + 128 * half + 32 * k));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, scales));
    }
  }
  int32_t offset = 0;
  for (int j = 0; j < 16; ++j) offset += block_scales[j] * x.bsums[j];
  return _cvtsh_ss(d) * x.d * (HorizontalSum(sum) - 32 * offset);
}

}  // namespace

CASCADE_AVX2 float DotKQuantQ8_KAvx2(TensorType type, const uint8_t* row, const BlockQ8_K* x,
                                     int64_t blocks) {
  const size_t block_bytes = KQuantBlockBytes(type);
  float sum = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* bytes = row + b * block_bytes;
    switch (type) {
      case TensorType::kQ4_K:
        sum += DotAffine(bytes, nullptr, bytes + 16, x[b]);
        break;
      case TensorType::kQ5_K:
        sum += DotAffine(bytes, bytes + 16, bytes + 48, x[b]);
        break;
      default:
        sum += DotQ6_K(bytes, x[b]);
    }
  }
  return sum;
}

}  // namespace cascade::engine
