// Portable reference kernels: plain loops the compiler may vectorise for the baseline ISA.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "services/inference/engine/kernels.h"

namespace cascade::engine {
namespace {

float DotF32(const float* a, const float* b, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float DotF16(const uint16_t* w, const float* x, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += HalfToFloat(w[i]) * x[i];
  return sum;
}

float DotQ8_0(const BlockQ8_0* blocks, const float* x, int64_t n) {
  float sum = 0;
  for (int64_t b = 0; b < n / kQuantBlock; ++b) {
    float block_sum = 0;
    for (int j = 0; j < kQuantBlock; ++j) block_sum += blocks[b].q[j] * x[b * kQuantBlock + j];
    sum += HalfToFloat(blocks[b].scale) * block_sum;
  }
  return sum;
}

float DotQ4_0(const BlockQ4_0* blocks, const float* x, int64_t n) {
  constexpr int kHalf = kQuantBlock / 2;
  float sum = 0;
  for (int64_t b = 0; b < n / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    float block_sum = 0;
    for (int j = 0; j < kHalf; ++j) {
      block_sum += static_cast<float>((blocks[b].q[j] & 0x0f) - 8) * xb[j];
      block_sum += static_cast<float>((blocks[b].q[j] >> 4) - 8) * xb[j + kHalf];
    }
    sum += HalfToFloat(blocks[b].scale) * block_sum;
  }
  return sum;
}

// Q4_1: scale * sum(q x) + min * sum(x) per block.
float DotQ4_1(const BlockQ4_1* blocks, const float* x, int64_t n) {
  constexpr int kHalf = kQuantBlock / 2;
  float sum = 0;
  for (int64_t b = 0; b < n / kQuantBlock; ++b) {
    const float* xb = x + b * kQuantBlock;
    float block_sum = 0, x_sum = 0;
    for (int j = 0; j < kHalf; ++j) {
      block_sum += static_cast<float>(blocks[b].q[j] & 0x0f) * xb[j];
      block_sum += static_cast<float>(blocks[b].q[j] >> 4) * xb[j + kHalf];
      x_sum += xb[j] + xb[j + kHalf];
    }
    sum += HalfToFloat(blocks[b].scale) * block_sum + HalfToFloat(blocks[b].min) * x_sum;
  }
  return sum;
}

// Q5_0 / Q5_1: the block's levels unpacked first (UnpackFiveBitLevels), any alignment.
template <typename Block>
float DotFiveBit(const uint8_t* row, const float* x, int64_t n) {
  float sum = 0;
  for (int64_t b = 0; b < n / kQuantBlock; ++b) {
    Block block;
    std::memcpy(&block, row + b * sizeof(Block), sizeof(block));
    uint8_t levels[kQuantBlock];
    UnpackFiveBitLevels(block.high, block.q, levels);
    const float* xb = x + b * kQuantBlock;
    float block_sum = 0;
    if constexpr (std::is_same_v<Block, BlockQ5_0>) {
      for (int j = 0; j < kQuantBlock; ++j) block_sum += static_cast<float>(levels[j] - 16) * xb[j];
      sum += HalfToFloat(block.scale) * block_sum;
    } else {
      float x_sum = 0;
      for (int j = 0; j < kQuantBlock; ++j) {
        block_sum += static_cast<float>(levels[j]) * xb[j];
        x_sum += xb[j];
      }
      sum += HalfToFloat(block.scale) * block_sum + HalfToFloat(block.min) * x_sum;
    }
  }
  return sum;
}

float DotRow(const Matrix& w, int64_t r, const float* x) {
  const uint8_t* row = w.row(r);
  switch (w.type) {
    case TensorType::kF32:
      return DotF32(reinterpret_cast<const float*>(row), x, w.cols);
    case TensorType::kF16:
      return DotF16(reinterpret_cast<const uint16_t*>(row), x, w.cols);
    case TensorType::kQ8_0:
      return DotQ8_0(reinterpret_cast<const BlockQ8_0*>(row), x, w.cols);
    case TensorType::kQ4_0:
      return DotQ4_0(reinterpret_cast<const BlockQ4_0*>(row), x, w.cols);
    case TensorType::kQ4_1:
      return DotQ4_1(reinterpret_cast<const BlockQ4_1*>(row), x, w.cols);
    case TensorType::kQ5_0:
      return DotFiveBit<BlockQ5_0>(row, x, w.cols);
    case TensorType::kQ5_1:
      return DotFiveBit<BlockQ5_1>(row, x, w.cols);
    default:
      return 0;  // the K-quants go through MatmulKQuant
  }
}

void Matmul(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x, int n_tokens,
            float* out, int64_t out_stride) {
  if (BlockElements(w.type) > kQuantBlock) {
    return MatmulKQuant(w, row_begin, row_end, x, n_tokens, out, out_stride, false);
  }
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int t = 0; t < n_tokens; ++t) out[t * out_stride + r] = DotRow(w, r, x + t * w.cols);
  }
}

void AddScaled(float* y, const float* x, float scale, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += scale * x[i];
}

void Scores(const float* q, const float* keys, int64_t stride, int n, int64_t dim, float scale,
            float* out) {
  for (int p = 0; p < n; ++p) out[p] = DotF32(q, keys + p * stride, dim) * scale;
}

void WeightedSum(const float* weights, const float* values, int64_t stride, int n, int64_t dim,
                 float* out) {
  std::fill(out, out + dim, 0.0f);
  for (int p = 0; p < n; ++p) AddScaled(out, values + p * stride, weights[p], dim);
}

bool QuantizeKQuant(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out) {
  return QuantizeForKQuant(w, x, n_tokens, out, QuantizeRowQ8_K);
}

void MatmulQuantized(const Matrix& w, int64_t row_begin, int64_t row_end,
                     const QuantizedActivations& x, int n_tokens, float* out, int64_t out_stride) {
  MatmulKQuantRounded(w, row_begin, row_end, x.q8_k.data(), n_tokens, out, out_stride, false);
}

}  // namespace

const Kernels& ScalarKernels() {
  static const Kernels kernels{"scalar",    Matmul,  DotF32,         AddScaled,      Scores,
                               WeightedSum, nullptr, QuantizeKQuant, MatmulQuantized};
  return kernels;
}

const Kernels& BestKernels() {
  static const Kernels* best = [] {
    const char* cap = std::getenv("CASCADE_KERNELS");
    const bool scalar_only = cap != nullptr && std::strcmp(cap, "scalar") == 0;
    const bool no_avx512 = scalar_only || (cap != nullptr && std::strcmp(cap, "avx2") == 0);
    const bool no_vnni = no_avx512 || (cap != nullptr && std::strcmp(cap, "avx512") == 0);
    if (!no_vnni && Avx512VnniKernels() != nullptr) return Avx512VnniKernels();
    if (!no_avx512 && Avx512Kernels() != nullptr) return Avx512Kernels();
    if (!scalar_only && Avx2Kernels() != nullptr) return Avx2Kernels();
    return &ScalarKernels();
  }();
  return *best;
}

}  // namespace cascade::engine
