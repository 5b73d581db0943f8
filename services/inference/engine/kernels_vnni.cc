// Q8_0 and Q5_0 matrix products with AVX-512 VNNI: 8-bit weights times 8-bit activations, 64
// multiply-adds per instruction, for CPUs that have it. (Q5_0's weights are small integers
// times a scale too, so they pack into the same 8-bit form.)
//
// Two things make this fast where reading the GGUF layout is not:
//  - The activations are quantized once per token to Q8_0's own form (blocks of 32, one scale
//    each), so each block's dot product is exact integer arithmetic (vpdpbusd).
//  - The weights are repacked at load time (PackForVnni) so that one 32-bit lane holds one
//    row: sixteen rows side by side, four columns at a time. A block of 32 columns for 16 rows
//    is then 8 instructions, each taking the token's 4 activations broadcast, and its scaling
//    one multiply-add for all 16 rows, with no horizontal sums.
// vpdpbusd multiplies unsigned by signed bytes, so the packed weights are stored plus 128 and
// each block's dot product starts from -128 times the sum of its activations.
//
// Every (row, token) pair is accumulated in block order whatever the batch size, so batched
// and one-at-a-time results are bit-identical, as for the other kernels. They differ from the
// float-activation kernels by the activations' rounding, which llama.cpp's Q8_0 and Q5_0 do too.
// GCC 12 reports its own AVX-512 headers as using uninitialized values; a known false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <cstring>
#include <vector>

#include "services/inference/engine/kernels.h"

#define CASCADE_VNNI \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,fma,f16c")))

namespace cascade::engine {
namespace {

constexpr int kGroupRows = 16;
// One block of 32 columns for a group of 16 rows: 16 float scales, then 8 steps of 4 columns,
// each 16 rows x 4 bytes.
constexpr size_t kScaleBytes = kGroupRows * sizeof(float);
constexpr size_t kGroupBlockBytes = kScaleBytes + kGroupRows * kQuantBlock;

CASCADE_VNNI void Quantize(const float* x, int n_tokens, int64_t cols, QuantizedActivations& q) {
  const int64_t blocks = cols / kQuantBlock;
  q.values.resize(static_cast<size_t>(n_tokens) * cols);
  q.scales.resize(static_cast<size_t>(n_tokens) * blocks);
  q.starts.resize(static_cast<size_t>(n_tokens) * blocks);
  const __m512 sign_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < n_tokens * blocks; ++i) {
    const float* in = x + i * kQuantBlock;
    const __m512 low = _mm512_loadu_ps(in);
    const __m512 high = _mm512_loadu_ps(in + 16);
    const float amax = _mm512_reduce_max_ps(
        _mm512_max_ps(_mm512_and_ps(low, sign_mask), _mm512_and_ps(high, sign_mask)));
    // The values are x / (max|x| / 127) rounded to nearest (even on ties), within -127..127 by
    // construction; the scale is kept as the float16 llama.cpp stores (which makes our Q8_0
    // logits agree with its to about 1e-3 rather than 1e-2).
    const float scale = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT));
    const __m512 inverse = _mm512_set1_ps(amax > 0 ? 1.0f / (amax / 127.0f) : 0.0f);
    const __m512i q_low = _mm512_cvtps_epi32(_mm512_mul_ps(low, inverse));
    const __m512i q_high = _mm512_cvtps_epi32(_mm512_mul_ps(high, inverse));
    int8_t* out = q.values.data() + i * kQuantBlock;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtepi32_epi8(q_low));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm512_cvtepi32_epi8(q_high));
    q.scales[i] = scale;
    q.starts[i] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(q_low, q_high));
  }
}

// out[t * out_stride + 16 * g + i] for kTokens tokens t and the 16 rows i of kGroups packed
// groups g, `group_bytes` apart. Two groups share each token's broadcast activations.
template <int kGroups, int kTokens>
CASCADE_VNNI inline void Tile(const uint8_t* group, int64_t group_bytes, int64_t blocks,
                              const QuantizedActivations& q, int t0, int64_t cols, float* out,
                              int64_t out_stride) {
  __m512 acc[kGroups][kTokens];
#pragma GCC unroll 8
  for (int g = 0; g < kGroups; ++g) {
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) acc[g][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block[kGroups];
    __m512i sums[kGroups][kTokens];
    const int8_t* x[kTokens];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
      x[t] = q.values.data() + static_cast<size_t>(t0 + t) * cols + b * kQuantBlock;
      const __m512i start = _mm512_set1_epi32(q.starts[static_cast<size_t>(t0 + t) * blocks + b]);
#pragma GCC unroll 8
      for (int g = 0; g < kGroups; ++g) sums[g][t] = start;
    }
#pragma GCC unroll 8
    for (int g = 0; g < kGroups; ++g) block[g] = group + g * group_bytes + b * kGroupBlockBytes;
#pragma GCC unroll 8
    for (int step = 0; step < kQuantBlock / 4; ++step) {
      __m512i weights[kGroups];
#pragma GCC unroll 8
      for (int g = 0; g < kGroups; ++g) {
        weights[g] = _mm512_loadu_si512(block[g] + kScaleBytes + step * 64);
      }
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) {
        int32_t four;
        std::memcpy(&four, x[t] + step * 4, sizeof(four));
        const __m512i activations = _mm512_set1_epi32(four);
#pragma GCC unroll 8
        for (int g = 0; g < kGroups; ++g) {
          sums[g][t] = _mm512_dpbusd_epi32(sums[g][t], weights[g], activations);
        }
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < kGroups; ++g) {
      const __m512 row_scales = _mm512_loadu_ps(reinterpret_cast<const float*>(block[g]));
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) {
        const __m512 scale = _mm512_mul_ps(
            row_scales, _mm512_set1_ps(q.scales[static_cast<size_t>(t0 + t) * blocks + b]));
        acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[g][t]), scale, acc[g][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < kGroups; ++g) {
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
      _mm512_storeu_ps(out + t * out_stride + g * kGroupRows, acc[g][t]);
    }
  }
}

// All tokens for kGroups groups from `r`: tiles of four tokens, then one at a time.
template <int kGroups>
CASCADE_VNNI inline void Groups(const Matrix& w, int64_t r, const QuantizedActivations& q,
                                int n_tokens, float* out, int64_t out_stride) {
  const int64_t blocks = w.cols / kQuantBlock;
  const int64_t group_bytes = blocks * kGroupBlockBytes;
  const uint8_t* group = w.packed + (r / kGroupRows) * group_bytes;
  int t = 0;
  for (; t + 4 <= n_tokens; t += 4) {
    Tile<kGroups, 4>(group, group_bytes, blocks, q, t, w.cols, out + t * out_stride + r,
                     out_stride);
  }
  for (; t < n_tokens; ++t) {
    Tile<kGroups, 1>(group, group_bytes, blocks, q, t, w.cols, out + t * out_stride + r,
                     out_stride);
  }
}

// Block b of `row` as 32 signed 8-bit values and a scale, weight = scale * value exactly:
// Q8_0 as stored, Q5_0's levels minus 16.
void SignedBlock(TensorType type, const uint8_t* row, int64_t b, int8_t* values, float& scale) {
  switch (type) {
    case TensorType::kQ8_0: {
      const auto& block = reinterpret_cast<const BlockQ8_0*>(row)[b];
      scale = HalfToFloat(block.scale);
      std::memcpy(values, block.q, kQuantBlock);
      return;
    }
    default: {  // kQ5_0
      const auto& block = reinterpret_cast<const BlockQ5_0*>(row)[b];
      scale = HalfToFloat(block.scale);
      uint8_t levels[kQuantBlock];
      UnpackFiveBitLevels(block.high, block.q, levels);
      for (int j = 0; j < kQuantBlock; ++j) values[j] = static_cast<int8_t>(levels[j] - 16);
      return;
    }
  }
}

}  // namespace

bool PackForVnni(const Matrix& w, std::vector<uint8_t>& out) {
  // Not Q4_0: at 8 bits its packed copy would be twice its size, and one-token decoding,
  // which reads every weight once, is memory-bound at two threads (0.93x measured).
  const bool packable = w.type == TensorType::kQ8_0 || w.type == TensorType::kQ5_0;
  if (!packable || w.rows % kGroupRows != 0) return false;
  const int64_t blocks = w.cols / kQuantBlock;
  out.resize(static_cast<size_t>(w.rows / kGroupRows) * blocks * kGroupBlockBytes);
  for (int64_t g = 0; g < w.rows / kGroupRows; ++g) {
    for (int64_t b = 0; b < blocks; ++b) {
      uint8_t* block = out.data() + (g * blocks + b) * kGroupBlockBytes;
      for (int i = 0; i < kGroupRows; ++i) {
        int8_t values[kQuantBlock];
        float scale;
        SignedBlock(w.type, w.row(g * kGroupRows + i), b, values, scale);
        std::memcpy(block + i * sizeof(float), &scale, sizeof(float));
        for (int step = 0; step < kQuantBlock / 4; ++step) {
          // Row i's lane of the step: its 4 values plus 128 (flipping the sign bit).
          uint32_t four;
          std::memcpy(&four, values + step * 4, sizeof(four));
          four ^= 0x80808080u;
          std::memcpy(block + kScaleBytes + step * 64 + i * 4, &four, sizeof(four));
        }
      }
    }
  }
  return true;
}

bool QuantizeForVnni(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out) {
  if (w.packed == nullptr) return QuantizeForKQuant(w, x, n_tokens, out, QuantizeRowQ8_KAvx512);
  if (!out.has_q8_0) Quantize(x, n_tokens, w.cols, out);
  out.has_q8_0 = true;
  return true;
}

CASCADE_VNNI void MatmulQuantizedVnni(const Matrix& w, int64_t row_begin, int64_t row_end,
                                      const QuantizedActivations& q, int n_tokens, float* out,
                                      int64_t out_stride) {
  if (w.packed == nullptr) {  // a K-quant: QuantizeForVnni rounded for it
    return MatmulKQuantAvx512Rounded(w, row_begin, row_end, q.q8_k.data(), n_tokens, out,
                                     out_stride);
  }
  int64_t r = row_begin;
  for (; r + 2 * kGroupRows <= row_end; r += 2 * kGroupRows) {
    Groups<2>(w, r, q, n_tokens, out, out_stride);
  }
  if (r < row_end) Groups<1>(w, r, q, n_tokens, out, out_stride);
}

CASCADE_VNNI void MatmulPackedVnni(const Matrix& w, int64_t row_begin, int64_t row_end,
                                   const float* x, int n_tokens, float* out, int64_t out_stride) {
  thread_local QuantizedActivations q;
  Quantize(x, n_tokens, w.cols, q);
  MatmulQuantizedVnni(w, row_begin, row_end, q, n_tokens, out, out_stride);
}

}  // namespace cascade::engine
