// AVX2 + FMA + F16C kernels. Every function carries a target attribute instead of the file
// being built with -mavx2, so the binary still runs (on the scalar kernels) on older CPUs.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "services/inference/engine/kernels.h"

#define CASCADE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace cascade::engine {
namespace {

CASCADE_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Asks for the same place four rows further on, the rows the next group reads: the hardware
// prefetcher alone falls behind when four rows stream at once.
template <typename T>
CASCADE_AVX2 inline void Prefetch(const T* p, const Matrix& w) {
  _mm_prefetch(reinterpret_cast<const char*>(p) + 4 * w.row_bytes, _MM_HINT_T0);
}

// Eight weights as floats, for the unquantized types.
CASCADE_AVX2 inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
CASCADE_AVX2 inline __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline float LoadOne(const float* p) { return *p; }
inline float LoadOne(const uint16_t* p) { return HalfToFloat(*p); }

// Dot products of `kRows` consecutive rows with one input. One accumulator per row, so a row
// gives the same bits whichever group it is computed in.
template <int kRows, typename T>
CASCADE_AVX2 inline void DotRowsPlain(const Matrix& w, int64_t r, const float* x, float* out) {
  const T* rows[kRows];
  __m256 acc[kRows];
  for (int i = 0; i < kRows; ++i) {
    rows[i] = reinterpret_cast<const T*>(w.row(r + i));
    acc[i] = _mm256_setzero_ps();
  }
  const int64_t vector_end = w.cols / 8 * 8;
  for (int64_t c = 0; c < vector_end; c += 8) {
    const __m256 xv = _mm256_loadu_ps(x + c);
    for (int i = 0; i < kRows; ++i) {
      Prefetch(rows[i] + c, w);
      acc[i] = _mm256_fmadd_ps(Load8(rows[i] + c), xv, acc[i]);
    }
  }
  for (int i = 0; i < kRows; ++i) {
    float sum = HorizontalSum(acc[i]);
    for (int64_t c = vector_end; c < w.cols; ++c) sum += LoadOne(rows[i] + c) * x[c];
    out[r + i] = sum;
  }
}

// 32 int8 weights times 32 floats, without the block scale.
CASCADE_AVX2 inline __m256 BlockDotInt8(const int8_t* q, const float* x) {
  __m256 sum = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                 _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q)))),
                             _mm256_loadu_ps(x));
  for (int g = 1; g < 4; ++g) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * g));
    sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)),
                          _mm256_loadu_ps(x + 8 * g), sum);
  }
  return sum;
}

CASCADE_AVX2 inline __m256 BlockDot(const BlockQ8_0& block, const float* x) {
  return BlockDotInt8(block.q, x);
}

// The low eight int8 lanes of `bytes` as eight floats.
CASCADE_AVX2 inline __m256 Widen(__m128i bytes) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
}

// 32 int8 levels (two halves of 16) times 32 floats.
CASCADE_AVX2 inline __m256 LevelsDot(__m128i first, __m128i second, const float* x) {
  __m256 sum = _mm256_mul_ps(Widen(first), _mm256_loadu_ps(x));
  sum = _mm256_fmadd_ps(Widen(_mm_srli_si128(first, 8)), _mm256_loadu_ps(x + 8), sum);
  sum = _mm256_fmadd_ps(Widen(second), _mm256_loadu_ps(x + 16), sum);
  sum = _mm256_fmadd_ps(Widen(_mm_srli_si128(second, 8)), _mm256_loadu_ps(x + 24), sum);
  return sum;
}

CASCADE_AVX2 inline __m256 BlockDot(const BlockQ4_0& block, const float* x) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.q));
  const __m128i low_nibbles = _mm_set1_epi8(0x0f);
  const __m128i eight = _mm_set1_epi8(8);
  const __m128i first = _mm_sub_epi8(_mm_and_si128(packed, low_nibbles), eight);
  const __m128i second = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), low_nibbles), eight);
  return LevelsDot(first, second, x);
}

// Q4_1's levels (0..15), not centred: its minimum is added per block (AccumulateBlock).
CASCADE_AVX2 inline void FourBitLevels(const BlockQ4_1& block, __m128i& first, __m128i& second) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.q));
  const __m128i low_nibbles = _mm_set1_epi8(0x0f);
  first = _mm_and_si128(packed, low_nibbles);
  second = _mm_and_si128(_mm_srli_epi16(packed, 4), low_nibbles);
}

// Byte j (of 16) is 0x10 where bit j of `bits` is set: Q5_0 / Q5_1's fifth bits in place.
CASCADE_AVX2 inline __m128i FifthBits(uint32_t bits) {
  const __m128i repeated =
      _mm_shuffle_epi8(_mm_set1_epi16(static_cast<int16_t>(bits)),
                       _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const __m128i bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(repeated, bit), bit), _mm_set1_epi8(0x10));
}

// The 32 levels of a Q5_0 / Q5_1 block, less `offset`, as int8: elements 0..15 in `first`.
template <typename Block>
CASCADE_AVX2 inline void FiveBitLevels(const Block& block, int offset, __m128i& first,
                                       __m128i& second) {
  uint32_t bits;
  std::memcpy(&bits, block.high, sizeof(bits));
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.q));
  const __m128i low_nibbles = _mm_set1_epi8(0x0f);
  const __m128i minus = _mm_set1_epi8(static_cast<char>(offset));
  first = _mm_sub_epi8(_mm_or_si128(_mm_and_si128(packed, low_nibbles), FifthBits(bits)), minus);
  second = _mm_sub_epi8(
      _mm_or_si128(_mm_and_si128(_mm_srli_epi16(packed, 4), low_nibbles), FifthBits(bits >> 16)),
      minus);
}

CASCADE_AVX2 inline __m256 BlockDot(const BlockQ5_0& block, const float* x) {
  __m128i first, second;
  FiveBitLevels(block, 16, first, second);
  return LevelsDot(first, second, x);
}

// acc + the block's dot product with x: scale * sum(q x), and for Q4_1 and Q5_1 min * sum(x).
template <typename Block>
CASCADE_AVX2 inline __m256 AccumulateBlock(const Block& block, const float* x, __m256 acc) {
  return _mm256_fmadd_ps(BlockDot(block, x), _mm256_set1_ps(_cvtsh_ss(block.scale)), acc);
}

CASCADE_AVX2 inline __m256 AccumulateWithMin(const uint16_t scale, const uint16_t min,
                                             __m128i first, __m128i second, const float* x,
                                             __m256 acc) {
  const __m256 x_sum =
      _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                    _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
  acc = _mm256_fmadd_ps(x_sum, _mm256_set1_ps(_cvtsh_ss(min)), acc);
  return _mm256_fmadd_ps(LevelsDot(first, second, x), _mm256_set1_ps(_cvtsh_ss(scale)), acc);
}

CASCADE_AVX2 inline __m256 AccumulateBlock(const BlockQ4_1& block, const float* x, __m256 acc) {
  __m128i first, second;
  FourBitLevels(block, first, second);
  return AccumulateWithMin(block.scale, block.min, first, second, x, acc);
}

CASCADE_AVX2 inline __m256 AccumulateBlock(const BlockQ5_1& block, const float* x, __m256 acc) {
  __m128i first, second;
  FiveBitLevels(block, 0, first, second);
  return AccumulateWithMin(block.scale, block.min, first, second, x, acc);
}

template <int kRows, typename Block>
CASCADE_AVX2 inline void DotRowsQuantized(const Matrix& w, int64_t r, const float* x, float* out) {
  const Block* rows[kRows];
  __m256 acc[kRows];
  for (int i = 0; i < kRows; ++i) {
    rows[i] = reinterpret_cast<const Block*>(w.row(r + i));
    acc[i] = _mm256_setzero_ps();
  }
  const int64_t blocks = w.cols / kQuantBlock;
  for (int64_t b = 0; b < blocks; ++b) {
    const float* xb = x + b * kQuantBlock;
    for (int i = 0; i < kRows; ++i) {
      Prefetch(rows[i] + b, w);
      acc[i] = AccumulateBlock(rows[i][b], xb, acc[i]);
    }
  }
  for (int i = 0; i < kRows; ++i) out[r + i] = HorizontalSum(acc[i]);
}

template <int kRows>
CASCADE_AVX2 inline void DotRows(const Matrix& w, int64_t r, const float* x, float* out) {
  switch (w.type) {
    case TensorType::kF32:
      return DotRowsPlain<kRows, float>(w, r, x, out);
    case TensorType::kF16:
      return DotRowsPlain<kRows, uint16_t>(w, r, x, out);
    case TensorType::kQ8_0:
      return DotRowsQuantized<kRows, BlockQ8_0>(w, r, x, out);
    case TensorType::kQ4_0:
      return DotRowsQuantized<kRows, BlockQ4_0>(w, r, x, out);
    case TensorType::kQ4_1:
      return DotRowsQuantized<kRows, BlockQ4_1>(w, r, x, out);
    case TensorType::kQ5_0:
      return DotRowsQuantized<kRows, BlockQ5_0>(w, r, x, out);
    case TensorType::kQ5_1:
      return DotRowsQuantized<kRows, BlockQ5_1>(w, r, x, out);
    default:
      return;  // the K-quants go through MatmulKQuant
  }
}

CASCADE_AVX2 void Matmul(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x,
                         int n_tokens, float* out, int64_t out_stride) {
  if (BlockElements(w.type) > kQuantBlock) {
    return MatmulKQuant(w, row_begin, row_end, x, n_tokens, out, out_stride, true);
  }
  constexpr int kGroup = 4;
  int64_t r = row_begin;
  for (; r + kGroup <= row_end; r += kGroup) {
    for (int t = 0; t < n_tokens; ++t) {
      DotRows<kGroup>(w, r, x + t * w.cols, out + t * out_stride);
    }
  }
  for (; r < row_end; ++r) {
    for (int t = 0; t < n_tokens; ++t) DotRows<1>(w, r, x + t * w.cols, out + t * out_stride);
  }
}

CASCADE_AVX2 float Dot(const float* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float sum = HorizontalSum(acc);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

CASCADE_AVX2 void AddScaled(float* y, const float* x, float scale, int64_t n) {
  const __m256 s = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(s, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += scale * x[i];
}

CASCADE_AVX2 void Scores(const float* q, const float* keys, int64_t stride, int n, int64_t dim,
                         float scale, float* out) {
  for (int p = 0; p < n; ++p) out[p] = Dot(q, keys + p * stride, dim) * scale;
}

CASCADE_AVX2 void WeightedSum(const float* weights, const float* values, int64_t stride, int n,
                              int64_t dim, float* out) {
  std::fill(out, out + dim, 0.0f);
  for (int p = 0; p < n; ++p) AddScaled(out, values + p * stride, weights[p], dim);
}

bool QuantizeKQuant(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out) {
  return QuantizeForKQuant(w, x, n_tokens, out, QuantizeRowQ8_K);
}

void MatmulQuantized(const Matrix& w, int64_t row_begin, int64_t row_end,
                     const QuantizedActivations& x, int n_tokens, float* out, int64_t out_stride) {
  MatmulKQuantRounded(w, row_begin, row_end, x.q8_k.data(), n_tokens, out, out_stride, true);
}

}  // namespace

const Kernels* Avx2Kernels() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                __builtin_cpu_supports("f16c");
  static const Kernels kernels{"avx2",    Matmul,         Dot,
                               AddScaled, Scores,         WeightedSum,
                               nullptr,   QuantizeKQuant, MatmulQuantized};
  return supported ? &kernels : nullptr;
}

}  // namespace cascade::engine
