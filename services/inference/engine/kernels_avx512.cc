// AVX-512 kernels (F/BW/VL/DQ + F16C + FMA), picked at run time like the AVX2 ones.
//
// A matrix product is cut into tiles of 4 weight rows by 4 tokens: each weight vector loaded
// feeds four tokens and each input vector four rows, so a batch (prefill, draft verification)
// costs far less per token than one-token decoding. Every (row, token) pair still has its own
// accumulator updated in the same order whatever the tile shape, so a batch gives bit-for-bit
// the logits that one-at-a-time decoding gives.
// GCC 12 reports its own AVX-512 headers (_mm512_undefined_ps in the masked loads and
// reductions) as using uninitialized values; a known false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "services/inference/engine/kernels.h"

#define CASCADE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c")))

namespace cascade::engine {
namespace {

constexpr int kLanes = 16;

// Asks for the same place four rows further on: the rows the next tile will read. The
// hardware prefetcher alone does not keep up when a tile streams four rows at once, and on
// models larger than the cache this nearly doubles the speed of one-token decoding.
template <typename T>
CASCADE_AVX512 inline void Prefetch(const T* p, const Matrix& w) {
  _mm_prefetch(reinterpret_cast<const char*>(p) + 4 * w.row_bytes, _MM_HINT_T0);
}

// Sixteen weights as floats (fewer under `mask`, the rest zero).
CASCADE_AVX512 inline __m512 Load16(const float* p, __mmask16 mask) {
  return _mm512_maskz_loadu_ps(mask, p);
}
CASCADE_AVX512 inline __m512 Load16(const uint16_t* p, __mmask16 mask) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
}

// out[t][i] = rows[i] . x[t] for a kRows x kTokens tile of unquantized rows of `cols` weights.
// With kPrefetch, the rows are a matrix's, `row_bytes` apart.
template <int kRows, int kTokens, typename T, bool kPrefetch>
CASCADE_AVX512 inline void TileRows(const T* const* rows, int64_t cols, int64_t row_bytes,
                                    const float* x, float* out, int64_t out_stride) {
  __m512 acc[kRows][kTokens];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_setzero_ps();
  }
  // Whole vectors first, then one masked step for a ragged end: the same operation, with the
  // missing lanes read as zero. (Written out twice: GCC keeps the accumulators in registers
  // only when the loop body has no branches and nothing takes their address.)
  const int64_t whole = cols / kLanes * kLanes;
  for (int64_t c = 0; c < whole; c += kLanes) {
    __m512 xv[kTokens];
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) xv[t] = _mm512_loadu_ps(x + t * cols + c);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      if constexpr (kPrefetch) {
        _mm_prefetch(reinterpret_cast<const char*>(rows[i] + c) + 4 * row_bytes, _MM_HINT_T0);
      }
      const __m512 wv = Load16(rows[i] + c, 0xFFFF);
#pragma GCC unroll 16
      for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_fmadd_ps(wv, xv[t], acc[i][t]);
    }
  }
  if (whole < cols) {
    const auto mask = static_cast<__mmask16>((1u << (cols - whole)) - 1);
    __m512 xv[kTokens];
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) xv[t] = _mm512_maskz_loadu_ps(mask, x + t * cols + whole);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const __m512 wv = Load16(rows[i] + whole, mask);
#pragma GCC unroll 16
      for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_fmadd_ps(wv, xv[t], acc[i][t]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) out[t * out_stride + i] = _mm512_reduce_add_ps(acc[i][t]);
  }
}

// out[t][r + i] = row(r + i) . x[t] for a kRows x kTokens tile, unquantized weights.
template <int kRows, int kTokens, typename T>
CASCADE_AVX512 inline void TilePlain(const Matrix& w, int64_t r, const float* x, float* out,
                                     int64_t out_stride) {
  const T* rows[kRows];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) rows[i] = reinterpret_cast<const T*>(w.row(r + i));
  TileRows<kRows, kTokens, T, true>(rows, w.cols, w.row_bytes, x, out + r, out_stride);
}

// The 32 weights of a block as two vectors of floats: scale * q, exactly as DequantizeRow.
CASCADE_AVX512 inline void Dequantize(const BlockQ8_0& block, __m512& low, __m512& high) {
  const __m512 scale = _mm512_set1_ps(_cvtsh_ss(block.scale));
  const __m128i* q = reinterpret_cast<const __m128i*>(block.q);
  low = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q))), scale);
  high = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q + 1))), scale);
}

CASCADE_AVX512 inline void Dequantize(const BlockQ4_0& block, __m512& low, __m512& high) {
  const __m512 scale = _mm512_set1_ps(_cvtsh_ss(block.scale));
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.q));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i eight = _mm_set1_epi8(8);
  const __m128i first = _mm_sub_epi8(_mm_and_si128(packed, nibble), eight);  // elements 0..15
  const __m128i second = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble), eight);
  low = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(first)), scale);
  high = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(second)), scale);
}

// scale * level + min, as Q5_1.
CASCADE_AVX512 inline void Dequantize(const BlockQ4_1& block, __m512& low, __m512& high) {
  const __m512 scale = _mm512_set1_ps(_cvtsh_ss(block.scale));
  const __m512 min = _mm512_set1_ps(_cvtsh_ss(block.min));
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.q));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i first = _mm_and_si128(packed, nibble);  // elements 0..15
  const __m128i second = _mm_and_si128(_mm_srli_epi16(packed, 4), nibble);
  low = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(first)), scale, min);
  high = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(second)), scale, min);
}

// Q5_0 / Q5_1's levels (0..31) of elements 0..15 (`first`) and 16..31 as bytes.
CASCADE_AVX512 inline void FiveBitLevels(const uint8_t* high, const uint8_t* q, __m128i& first,
                                         __m128i& second) {
  uint32_t bits;
  std::memcpy(&bits, high, sizeof(bits));
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m128i nibble = _mm_set1_epi8(0x0f);
  const __m128i fifth = _mm_set1_epi8(0x10);
  first = _mm_and_si128(packed, nibble);
  first = _mm_mask_add_epi8(first, static_cast<__mmask16>(bits), first, fifth);
  second = _mm_and_si128(_mm_srli_epi16(packed, 4), nibble);
  second = _mm_mask_add_epi8(second, static_cast<__mmask16>(bits >> 16), second, fifth);
}

CASCADE_AVX512 inline __m512 Widen16(__m128i levels) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(levels));
}

// scale * (level - 16) as level * scale - 16 * scale: one fused step (16 * scale is exact).
CASCADE_AVX512 inline void Dequantize(const BlockQ5_0& block, __m512& low, __m512& high) {
  const float scale = _cvtsh_ss(block.scale);
  const __m512 scales = _mm512_set1_ps(scale);
  const __m512 offset = _mm512_set1_ps(-16.0f * scale);
  __m128i first, second;
  FiveBitLevels(block.high, block.q, first, second);
  low = _mm512_fmadd_ps(Widen16(first), scales, offset);
  high = _mm512_fmadd_ps(Widen16(second), scales, offset);
}

// scale * level + min (one rounding, where DequantizeRow has two).
CASCADE_AVX512 inline void Dequantize(const BlockQ5_1& block, __m512& low, __m512& high) {
  const __m512 scale = _mm512_set1_ps(_cvtsh_ss(block.scale));
  const __m512 min = _mm512_set1_ps(_cvtsh_ss(block.min));
  __m128i first, second;
  FiveBitLevels(block.high, block.q, first, second);
  low = _mm512_fmadd_ps(Widen16(first), scale, min);
  high = _mm512_fmadd_ps(Widen16(second), scale, min);
}

// The same tile for block-quantized weights: dequantize a block of each row once, use it for
// every token of the tile.
template <int kRows, int kTokens, typename Block>
CASCADE_AVX512 inline void TileQuantized(const Matrix& w, int64_t r, const float* x, float* out,
                                         int64_t out_stride) {
  const Block* rows[kRows];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) rows[i] = reinterpret_cast<const Block*>(w.row(r + i));
  __m512 acc[kRows][kTokens];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) acc[i][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < w.cols / kQuantBlock; ++b) {
    __m512 x_low[kTokens], x_high[kTokens];
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) {
      x_low[t] = _mm512_loadu_ps(x + t * w.cols + b * kQuantBlock);
      x_high[t] = _mm512_loadu_ps(x + t * w.cols + b * kQuantBlock + kLanes);
    }
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      Prefetch(rows[i] + b, w);
      __m512 low, high;
      Dequantize(rows[i][b], low, high);
#pragma GCC unroll 16
      for (int t = 0; t < kTokens; ++t) {
        acc[i][t] = _mm512_fmadd_ps(low, x_low[t], acc[i][t]);
        acc[i][t] = _mm512_fmadd_ps(high, x_high[t], acc[i][t]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) out[t * out_stride + r + i] = _mm512_reduce_add_ps(acc[i][t]);
  }
}

template <int kRows, int kTokens>
CASCADE_AVX512 inline void Tile(const Matrix& w, int64_t r, const float* x, float* out,
                                int64_t out_stride) {
  switch (w.type) {
    case TensorType::kF32:
      return TilePlain<kRows, kTokens, float>(w, r, x, out, out_stride);
    case TensorType::kF16:
      return TilePlain<kRows, kTokens, uint16_t>(w, r, x, out, out_stride);
    case TensorType::kQ8_0:
      return TileQuantized<kRows, kTokens, BlockQ8_0>(w, r, x, out, out_stride);
    case TensorType::kQ4_0:
      return TileQuantized<kRows, kTokens, BlockQ4_0>(w, r, x, out, out_stride);
    case TensorType::kQ4_1:
      return TileQuantized<kRows, kTokens, BlockQ4_1>(w, r, x, out, out_stride);
    case TensorType::kQ5_0:
      return TileQuantized<kRows, kTokens, BlockQ5_0>(w, r, x, out, out_stride);
    case TensorType::kQ5_1:
      return TileQuantized<kRows, kTokens, BlockQ5_1>(w, r, x, out, out_stride);
    default:
      return;  // the K-quants go through MatmulKQuant
  }
}

// A batch of at least this many tokens dequantizes each group of rows once, into floats, rather
// than once per tile of four tokens.
constexpr int kDequantizeOnceTokens = 8;

// All tokens of a group of kRows block-quantized rows, from the rows dequantized once: the
// same floats Dequantize gives TileQuantized, multiplied in the same order, so the same bits.
template <int kRows, typename Block>
CASCADE_AVX512 void RowGroupDequantized(const Matrix& w, int64_t r, const float* x, int n_tokens,
                                        float* out, int64_t out_stride) {
  thread_local std::vector<float> buffer;
  buffer.resize(static_cast<size_t>(kRows) * w.cols);
  const float* rows[kRows];
  for (int i = 0; i < kRows; ++i) {
    const auto* blocks = reinterpret_cast<const Block*>(w.row(r + i));
    float* row = buffer.data() + static_cast<size_t>(i) * w.cols;
    for (int64_t b = 0; b < w.cols / kQuantBlock; ++b) {
      __m512 low, high;
      Dequantize(blocks[b], low, high);
      _mm512_storeu_ps(row + b * kQuantBlock, low);
      _mm512_storeu_ps(row + b * kQuantBlock + kLanes, high);
    }
    rows[i] = row;
  }
  int t = 0;
  for (; t + 4 <= n_tokens; t += 4) {
    TileRows<kRows, 4, float, false>(rows, w.cols, 0, x + t * w.cols, out + t * out_stride + r,
                                     out_stride);
  }
  for (; t < n_tokens; ++t) {
    TileRows<kRows, 1, float, false>(rows, w.cols, 0, x + t * w.cols, out + t * out_stride + r,
                                     out_stride);
  }
}

// All tokens of a group of kRows rows: tiles of four tokens, then one at a time.
template <int kRows>
CASCADE_AVX512 inline void RowGroup(const Matrix& w, int64_t r, const float* x, int n_tokens,
                                    float* out, int64_t out_stride) {
  if (n_tokens >= kDequantizeOnceTokens) {
    switch (w.type) {
      case TensorType::kQ8_0:
        return RowGroupDequantized<kRows, BlockQ8_0>(w, r, x, n_tokens, out, out_stride);
      case TensorType::kQ4_0:
        return RowGroupDequantized<kRows, BlockQ4_0>(w, r, x, n_tokens, out, out_stride);
      case TensorType::kQ4_1:
        return RowGroupDequantized<kRows, BlockQ4_1>(w, r, x, n_tokens, out, out_stride);
      case TensorType::kQ5_0:
        return RowGroupDequantized<kRows, BlockQ5_0>(w, r, x, n_tokens, out, out_stride);
      case TensorType::kQ5_1:
        return RowGroupDequantized<kRows, BlockQ5_1>(w, r, x, n_tokens, out, out_stride);
      default:
        break;
    }
  }
  int t = 0;
  for (; t + 4 <= n_tokens; t += 4) {
    Tile<kRows, 4>(w, r, x + t * w.cols, out + t * out_stride, out_stride);
  }
  for (; t < n_tokens; ++t) Tile<kRows, 1>(w, r, x + t * w.cols, out + t * out_stride, out_stride);
}

CASCADE_AVX512 void Matmul(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x,
                           int n_tokens, float* out, int64_t out_stride) {
  if (w.packed != nullptr)
    return MatmulPackedVnni(w, row_begin, row_end, x, n_tokens, out, out_stride);
  if (BlockElements(w.type) > kQuantBlock) {
    return MatmulKQuantAvx512(w, row_begin, row_end, x, n_tokens, out, out_stride);
  }
  int64_t r = row_begin;
  for (; r + 4 <= row_end; r += 4) RowGroup<4>(w, r, x, n_tokens, out, out_stride);
  for (; r < row_end; ++r) RowGroup<1>(w, r, x, n_tokens, out, out_stride);
}

CASCADE_AVX512 float Dot(const float* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += kLanes) {
    const int64_t left = n - i;
    const __mmask16 mask = left >= kLanes ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i),
                          acc);
  }
  return _mm512_reduce_add_ps(acc);
}

CASCADE_AVX512 void AddScaled(float* y, const float* x, float scale, int64_t n) {
  const __m512 s = _mm512_set1_ps(scale);
  for (int64_t i = 0; i < n; i += kLanes) {
    const int64_t left = n - i;
    const __mmask16 mask = left >= kLanes ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
    const __m512 updated =
        _mm512_fmadd_ps(s, _mm512_maskz_loadu_ps(mask, x + i), _mm512_maskz_loadu_ps(mask, y + i));
    _mm512_mask_storeu_ps(y + i, mask, updated);
  }
}

// Scores with q held in kVectors registers: the loads and masks of Dot hoisted out of the loop
// over positions, the same fused multiply-adds in the same order.
template <int kVectors>
CASCADE_AVX512 void ScoresInRegisters(const float* q, const float* keys, int64_t stride, int n,
                                      float scale, float* out) {
  __m512 query[kVectors];
  for (int v = 0; v < kVectors; ++v) query[v] = _mm512_loadu_ps(q + v * kLanes);
  for (int p = 0; p < n; ++p) {
    const float* key = keys + p * stride;
    __m512 acc = _mm512_setzero_ps();
    for (int v = 0; v < kVectors; ++v)
      acc = _mm512_fmadd_ps(query[v], _mm512_loadu_ps(key + v * kLanes), acc);
    out[p] = _mm512_reduce_add_ps(acc) * scale;
  }
}

CASCADE_AVX512 void Scores(const float* q, const float* keys, int64_t stride, int n, int64_t dim,
                           float scale, float* out) {
  switch (dim) {
    case 64:
      return ScoresInRegisters<4>(q, keys, stride, n, scale, out);
    case 128:
      return ScoresInRegisters<8>(q, keys, stride, n, scale, out);
    default:
      for (int p = 0; p < n; ++p) out[p] = Dot(q, keys + p * stride, dim) * scale;
  }
}

// out in kVectors registers, stored once: AddScaled's fused multiply-adds, without a load and
// store of out per position.
template <int kVectors>
CASCADE_AVX512 void WeightedSumInRegisters(const float* weights, const float* values,
                                           int64_t stride, int n, float* out) {
  __m512 acc[kVectors];
  for (int v = 0; v < kVectors; ++v) acc[v] = _mm512_setzero_ps();
  for (int p = 0; p < n; ++p) {
    const __m512 weight = _mm512_set1_ps(weights[p]);
    const float* value = values + p * stride;
    for (int v = 0; v < kVectors; ++v)
      acc[v] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(value + v * kLanes), acc[v]);
  }
  for (int v = 0; v < kVectors; ++v) _mm512_storeu_ps(out + v * kLanes, acc[v]);
}

CASCADE_AVX512 void WeightedSum(const float* weights, const float* values, int64_t stride, int n,
                                int64_t dim, float* out) {
  switch (dim) {
    case 64:
      return WeightedSumInRegisters<4>(weights, values, stride, n, out);
    case 128:
      return WeightedSumInRegisters<8>(weights, values, stride, n, out);
    default:
      std::fill(out, out + dim, 0.0f);
      for (int p = 0; p < n; ++p) AddScaled(out, values + p * stride, weights[p], dim);
  }
}

CASCADE_AVX512 bool QuantizeKQuant(const Matrix& w, const float* x, int n_tokens,
                                   QuantizedActivations& out) {
  return QuantizeForKQuant(w, x, n_tokens, out, QuantizeRowQ8_KAvx512);
}

CASCADE_AVX512 void MatmulQuantized(const Matrix& w, int64_t row_begin, int64_t row_end,
                                    const QuantizedActivations& x, int n_tokens, float* out,
                                    int64_t out_stride) {
  MatmulKQuantAvx512Rounded(w, row_begin, row_end, x.q8_k.data(), n_tokens, out, out_stride);
}

}  // namespace

const Kernels* Avx512Kernels() {
  static const bool supported =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  static const Kernels kernels{"avx512",  Matmul,         Dot,
                               AddScaled, Scores,         WeightedSum,
                               nullptr,   QuantizeKQuant, MatmulQuantized};
  return supported ? &kernels : nullptr;
}

const Kernels* Avx512VnniKernels() {
  static const Kernels kernels{"avx512-vnni", Matmul,          Dot,
                               AddScaled,     Scores,          WeightedSum,
                               PackForVnni,   QuantizeForVnni, MatmulQuantizedVnni};
  static const bool supported = Avx512Kernels() != nullptr && __builtin_cpu_supports("avx512vnni");
  return supported ? &kernels : nullptr;
}

}  // namespace cascade::engine
