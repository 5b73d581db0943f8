// The K-quants' matmul with AVX-512 (BW): 64 weights per instruction, and tiles of rows by
// tokens, so that a prompt unpacks each weight block once for several tokens.
//
// Per 64-weight chunk: the 4-bit (Q4_K, Q5_K) or 6-bit (Q6_K) quants widened to bytes, times
// the Q8_K activations' bytes by maddubs into 16-bit pair sums, times the sub-block scales by
// madd into 32-bit sums: exact integers, as in k_quants.cc. Unlike the scalar code, the super-
// blocks' float results accumulate in sixteen lanes and are summed once per row, so the last
// bits differ from the scalar and AVX2 kernels (each (row, token) pair is still computed the
// same way whatever the tile, so a batch gives the logits one-at-a-time decoding gives).
#pragma GCC diagnostic ignored \
    "-Wuninitialized"  // GCC 12's own AVX-512 headers; see kernels_avx512.cc
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "services/inference/engine/k_quants.h"
#include "services/inference/engine/kernels.h"

#define CASCADE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))

namespace cascade::engine {
namespace {

CASCADE_AVX512 inline float Half(uint16_t h) { return _cvtsh_ss(h); }

CASCADE_AVX512 inline __m512i Broadcast32Bytes(const uint8_t* p) {
  return _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

CASCADE_AVX512 inline __m512i Load64Bytes(const void* p) { return _mm512_loadu_si512(p); }

// A vector of 32 16-bit lanes: the low 16 lanes `low`, the high 16 `high`.
CASCADE_AVX512 inline __m512i Halves16(int low, int high) {
  return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(low)),
                            _mm256_set1_epi16(static_cast<int16_t>(high)), 1);
}

// The permutation that gives pair sum i (of 32) of Q6_K chunk c the scale of sub-block
// 4c + i / 8.
CASCADE_AVX512 inline __m512i Q6ScaleIndex(int c) {
  alignas(64) static constexpr int16_t kIndex[4][32] = {
      {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
       2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
      {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,
       6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
      {8,  8,  8,  8,  8,  8,  8,  8,  9,  9,  9,  9,  9,  9,  9,  9,
       10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
      {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13,
       14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15}};
  return _mm512_load_si512(kIndex[c]);
}

// Q4_K / Q5_K's 8 six-bit scales and 8 mins (layout in UnpackScalesAndMins, k_quants.h), as
// bytes in two 64-bit words, with 32-bit operations on the 12 packed bytes.
inline void UnpackScalesAndMins8(const uint8_t* packed, uint64_t& scales, uint64_t& mins) {
  uint32_t w[3];
  std::memcpy(w, packed, sizeof(w));
  const uint32_t scales_low = w[0] & 0x3F3F3F3Fu;
  const uint32_t mins_low = w[1] & 0x3F3F3F3Fu;
  const uint32_t scales_high = (w[2] & 0x0F0F0F0Fu) | (((w[0] >> 6) & 0x03030303u) << 4);
  const uint32_t mins_high = ((w[2] >> 4) & 0x0F0F0F0Fu) | (((w[1] >> 6) & 0x03030303u) << 4);
  scales = scales_low | (uint64_t{scales_high} << 32);
  mins = mins_low | (uint64_t{mins_high} << 32);
}

// One super-block of one row, unpacked for every token of a tile: the quants as unsigned bytes
// (four 64-byte chunks), the 16-bit scale of each pair sum, and what the float step needs.
struct UnpackedBlock {
  __m512i q[4];
  __m512i scales[4];
  __m128i mins;     // Q4_K / Q5_K: the 8 mins as 16-bit lanes
  __m256i scales6;  // Q6_K: the 16 scales as 16-bit lanes (for the -32 offset)
  float d = 0, dmin = 0;
};

template <TensorType kType>
CASCADE_AVX512 inline void Unpack(const uint8_t* bytes, UnpackedBlock& block) {
  if constexpr (kType == TensorType::kQ6_K) {
    const uint8_t* ql = bytes + offsetof(BlockQ6_K, ql);
    const uint8_t* qh = bytes + offsetof(BlockQ6_K, qh);
    uint16_t d;
    std::memcpy(&d, bytes + offsetof(BlockQ6_K, d), 2);
    block.d = Half(d);
    const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
    const __m512i two_bits = _mm512_set1_epi8(3);
    block.scales6 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + offsetof(BlockQ6_K, scales))));
    for (int half = 0; half < 2; ++half) {
      // Chunk 2 * half: weights 128 half + [0, 64), low nibbles of ql with qh's bits 0-1 (first
      // 32) and 2-3 (next 32); chunk 2 * half + 1: the high nibbles with bits 4-5 and 6-7.
      const __m512i low = Load64Bytes(ql + 64 * half);
      const __m512i high = Broadcast32Bytes(qh + 32 * half);
      const __m512i top_a =
          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(high, Halves16(0, 2)), two_bits), 4);
      const __m512i top_b =
          _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(high, Halves16(4, 6)), two_bits), 4);
      block.q[2 * half] = _mm512_or_si512(_mm512_and_si512(low, low_nibbles), top_a);
      block.q[2 * half + 1] =
          _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(low, 4), low_nibbles), top_b);
    }
    // Chunk c holds sub-blocks 4c .. 4c + 3 of 16 weights: 8 pair sums each.
    const __m512i scales16 = _mm512_castsi256_si512(block.scales6);
    for (int c = 0; c < 4; ++c) {
      block.scales[c] = _mm512_permutexvar_epi16(Q6ScaleIndex(c), scales16);
    }
  } else {
    constexpr bool kFifthBit = kType == TensorType::kQ5_K;
    uint16_t d, dmin;
    std::memcpy(&d, bytes, 2);
    std::memcpy(&dmin, bytes + 2, 2);
    block.d = Half(d);
    block.dmin = Half(dmin);
    uint64_t scales, mins;
    UnpackScalesAndMins8(bytes + 4, scales, mins);
    block.mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(mins)));
    const __m512i scales16 =
        _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<int64_t>(scales))));
    const uint8_t* qs = bytes + (kFifthBit ? 48 : 16);
    const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
    const __m512i fifth = kFifthBit ? Broadcast32Bytes(bytes + 16) : _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      // Chunk c: the 32 bytes' low nibbles (sub-block 2c), then their high nibbles (2c + 1).
      __m512i q = _mm512_and_si512(_mm512_srlv_epi16(Broadcast32Bytes(qs + 32 * c), Halves16(0, 4)),
                                   low_nibbles);
      if constexpr (kFifthBit) {
        const __m512i bit =
            _mm512_inserti64x4(_mm512_set1_epi8(static_cast<char>(1 << (2 * c))),
                               _mm256_set1_epi8(static_cast<char>(2 << (2 * c))), 1);
        q = _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(fifth, bit), q, _mm512_set1_epi8(16));
      }
      block.q[c] = q;
      block.scales[c] = _mm512_permutexvar_epi16(Halves16(2 * c, 2 * c + 1), scales16);
    }
  }
}

// The block's dot product with one token's Q8_K block, added to the token's accumulators:
// `acc` (16 lanes) gets d * x.d * (integer sum), `acc_mins` (4 lanes) the mins' part.
template <TensorType kType>
CASCADE_AVX512 inline void Accumulate(const UnpackedBlock& block, const BlockQ8_K& x, __m512& acc,
                                      __m128& acc_mins) {
  __m512i sum = _mm512_setzero_si512();
  for (int c = 0; c < 4; ++c) {
    const __m512i pairs = _mm512_maddubs_epi16(block.q[c], Load64Bytes(x.qs + 64 * c));
    sum = _mm512_add_epi32(sum, _mm512_madd_epi16(pairs, block.scales[c]));
  }
  const __m256i bsums_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bsums));
  if constexpr (kType == TensorType::kQ6_K) {
    // The quants were stored plus 32: take 32 * sum(scale * 16-sum of x) off, exactly.
    const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(block.scales6, bsums_lo), 5);
    sum = _mm512_sub_epi32(sum, _mm512_zextsi256_si512(offset));
    acc = _mm512_fmadd_ps(_mm512_set1_ps(block.d * x.d), _mm512_cvtepi32_ps(sum), acc);
  } else {
    acc = _mm512_fmadd_ps(_mm512_set1_ps(block.d * x.d), _mm512_cvtepi32_ps(sum), acc);
    // Sub-block j's 32 activations sum to bsums[2j] + bsums[2j + 1].
    const __m128i pair_sums =
        _mm_hadd_epi16(_mm256_castsi256_si128(bsums_lo), _mm256_extracti128_si256(bsums_lo, 1));
    acc_mins = _mm_fmadd_ps(_mm_set1_ps(block.dmin * x.d),
                            _mm_cvtepi32_ps(_mm_madd_epi16(block.mins, pair_sums)), acc_mins);
  }
}

CASCADE_AVX512 inline float Sum4(__m128 v) {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v);
}

// QuantizeRowQ8_K (k_quants.cc) sixteen values at a time, to the same bits: the same extreme
// (the first value of the largest magnitude), the same float product, rounded to nearest even as
// nearbyint does in the default rounding mode. On decoding the scalar loop took 6% of the time.
}  // namespace

CASCADE_AVX512 void QuantizeRowQ8_KAvx512(const float* x, int64_t n, BlockQ8_K* out) {
  const __m512 sign_off = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* xb = x + b * kSuperBlock;
    BlockQ8_K& block = out[b];
    __m512 largest = _mm512_setzero_ps();
    for (int i = 0; i < kSuperBlock; i += 16) {
      largest = _mm512_max_ps(_mm512_and_ps(_mm512_loadu_ps(xb + i), sign_off), largest);
    }
    const float magnitude = _mm512_reduce_max_ps(largest);
    float extreme = 0;
    for (int i = 0; magnitude != 0 && i < kSuperBlock; ++i) {
      if (std::fabs(xb[i]) == magnitude) {
        extreme = xb[i];
        break;
      }
    }
    if (extreme == 0) {
      block = BlockQ8_K{};  // all zero
      continue;
    }
    const float inverse = -127.0f / extreme;
    const __m512 scale = _mm512_set1_ps(inverse);
    for (int i = 0; i < kSuperBlock; i += 16) {
      const __m512i q =
          _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(scale, _mm512_loadu_ps(xb + i))),
                           _mm512_set1_epi32(127));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(block.qs + i), _mm512_cvtepi32_epi8(q));
      block.bsums[i / 16] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    block.d = 1 / inverse;
  }
}

namespace {

// out[t][r + i] for a kRows x kTokens tile.
template <TensorType kType, int kRows, int kTokens>
CASCADE_AVX512 void Tile(const Matrix& w, int64_t r, const BlockQ8_K* x, int64_t blocks, float* out,
                         int64_t out_stride) {
  constexpr size_t kBlockBytes = kType == TensorType::kQ4_K   ? sizeof(BlockQ4_K)
                                 : kType == TensorType::kQ5_K ? sizeof(BlockQ5_K)
                                                              : sizeof(BlockQ6_K);
  __m512 acc[kRows][kTokens];
  __m128 acc_mins[kRows][kTokens];
  for (int i = 0; i < kRows; ++i) {
    for (int t = 0; t < kTokens; ++t) {
      acc[i][t] = _mm512_setzero_ps();
      acc_mins[i][t] = _mm_setzero_ps();
    }
  }
  for (int64_t b = 0; b < blocks; ++b) {
    for (int i = 0; i < kRows; ++i) {
      const uint8_t* bytes = w.row(r + i) + b * kBlockBytes;
      _mm_prefetch(reinterpret_cast<const char*>(bytes) + kRows * w.row_bytes, _MM_HINT_T0);
      UnpackedBlock block;
      Unpack<kType>(bytes, block);
      for (int t = 0; t < kTokens; ++t) {
        Accumulate<kType>(block, x[t * blocks + b], acc[i][t], acc_mins[i][t]);
      }
    }
  }
  for (int i = 0; i < kRows; ++i) {
    for (int t = 0; t < kTokens; ++t) {
      out[t * out_stride + r + i] = _mm512_reduce_add_ps(acc[i][t]) - Sum4(acc_mins[i][t]);
    }
  }
}

// All tokens of a group of kRows rows: tiles of four tokens, then one at a time.
template <TensorType kType, int kRows>
CASCADE_AVX512 void RowGroup(const Matrix& w, int64_t r, const BlockQ8_K* x, int64_t blocks,
                             int n_tokens, float* out, int64_t out_stride) {
  int t = 0;
  for (; t + 4 <= n_tokens; t += 4) {
    Tile<kType, kRows, 4>(w, r, x + t * blocks, blocks, out + t * out_stride, out_stride);
  }
  for (; t < n_tokens; ++t) {
    Tile<kType, kRows, 1>(w, r, x + t * blocks, blocks, out + t * out_stride, out_stride);
  }
}

template <TensorType kType>
CASCADE_AVX512 void Rows(const Matrix& w, int64_t row_begin, int64_t row_end, const BlockQ8_K* x,
                         int64_t blocks, int n_tokens, float* out, int64_t out_stride) {
  int64_t r = row_begin;
  // Decoding: four rows share the activations' loads. A prompt's 4-token tiles hold 4 x 2
  // accumulators per row; with more rows they no longer fit in the registers.
  if (n_tokens < 4) {
    for (; r + 4 <= row_end; r += 4) RowGroup<kType, 4>(w, r, x, blocks, n_tokens, out, out_stride);
  }
  for (; r + 2 <= row_end; r += 2) RowGroup<kType, 2>(w, r, x, blocks, n_tokens, out, out_stride);
  for (; r < row_end; ++r) RowGroup<kType, 1>(w, r, x, blocks, n_tokens, out, out_stride);
}

}  // namespace

CASCADE_AVX512 void MatmulKQuantAvx512(const Matrix& w, int64_t row_begin, int64_t row_end,
                                       const float* x, int n_tokens, float* out,
                                       int64_t out_stride) {
  const BlockQ8_K* activations = QuantizeActivations(x, n_tokens, w.cols, QuantizeRowQ8_KAvx512);
  MatmulKQuantAvx512Rounded(w, row_begin, row_end, activations, n_tokens, out, out_stride);
}

CASCADE_AVX512 void MatmulKQuantAvx512Rounded(const Matrix& w, int64_t row_begin, int64_t row_end,
                                              const BlockQ8_K* activations, int n_tokens,
                                              float* out, int64_t out_stride) {
  const int64_t blocks = w.cols / kSuperBlock;
  switch (w.type) {
    case TensorType::kQ4_K:
      return Rows<TensorType::kQ4_K>(w, row_begin, row_end, activations, blocks, n_tokens, out,
                                     out_stride);
    case TensorType::kQ5_K:
      return Rows<TensorType::kQ5_K>(w, row_begin, row_end, activations, blocks, n_tokens, out,
                                     out_stride);
    default:
      return Rows<TensorType::kQ6_K>(w, row_begin, row_end, activations, blocks, n_tokens, out,
                                     out_stride);
  }
}

}  // namespace cascade::engine
