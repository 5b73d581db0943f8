#include "services/inference/engine/k_quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cascade::engine {
namespace {

void SetScaleMin(int j, int scale, int min, uint8_t* scales) {
  if (j < 4) {
    scales[j] = static_cast<uint8_t>((scales[j] & 0xC0) | scale);
    scales[j + 4] = static_cast<uint8_t>((scales[j + 4] & 0xC0) | min);
  } else {
    scales[j + 4] = static_cast<uint8_t>((scale & 0x0F) | ((min & 0x0F) << 4));
    scales[j - 4] = static_cast<uint8_t>((scales[j - 4] & 0x3F) | ((scale >> 4) << 6));
    scales[j] = static_cast<uint8_t>((scales[j] & 0x3F) | ((min >> 4) << 6));
  }
}

int Clamp(int value, int lo, int hi) { return std::max(lo, std::min(hi, value)); }

// Q4_K / Q5_K with `levels` = 15 or 31: per sub-block of 32 an affine map x ~ scale * q - min
// with q in [0, levels] over [min(x, 0), max(x)]; the 8 scales and mins then quantized to 6
// bits against the super-block's d and dmin. Returns q per weight in `q`.
void QuantizeAffine(const float* x, int levels, uint16_t& d_half, uint16_t& dmin_half,
                    uint8_t* scales, uint8_t* q) {
  float sub_scale[8], sub_min[8];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    const float lo = std::min(0.0f, *std::min_element(xs, xs + 32));
    const float hi = std::max(lo, *std::max_element(xs, xs + 32));
    sub_scale[j] = (hi - lo) / levels;
    sub_min[j] = -lo;
  }
  const float max_scale = *std::max_element(sub_scale, sub_scale + 8);
  const float max_min = *std::max_element(sub_min, sub_min + 8);
  d_half = FloatToHalf(max_scale / 63);
  dmin_half = FloatToHalf(max_min / 63);
  const float d = HalfToFloat(d_half), dmin = HalfToFloat(dmin_half);
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    const int scale = d > 0 ? Clamp(static_cast<int>(std::lround(sub_scale[j] / d)), 0, 63) : 0;
    const int min = dmin > 0 ? Clamp(static_cast<int>(std::lround(sub_min[j] / dmin)), 0, 63) : 0;
    SetScaleMin(j, scale, min, scales);
    const float step = d * scale, offset = dmin * min;
    for (int i = 0; i < 32; ++i) {
      const int value =
          step > 0 ? static_cast<int>(std::lround((x[32 * j + i] + offset) / step)) : 0;
      q[32 * j + i] = static_cast<uint8_t>(Clamp(value, 0, levels));
    }
  }
}

// The 256 weight quants of a Q4_K / Q5_K block (0..15 or 0..31), with the 8 sub-blocks'
// scales and mins.
void UnpackAffine(TensorType type, const uint8_t* bytes, int* q, int* scales, int* mins, float& d,
                  float& dmin) {
  const uint8_t *packed_scales, *qs, *qh = nullptr;
  uint16_t d_half, dmin_half;
  std::memcpy(&d_half, bytes, 2);
  std::memcpy(&dmin_half, bytes + 2, 2);
  packed_scales = bytes + 4;
  if (type == TensorType::kQ5_K) {
    qh = bytes + 16;
    qs = bytes + 48;
  } else {
    qs = bytes + 16;
  }
  d = HalfToFloat(d_half);
  dmin = HalfToFloat(dmin_half);
  UnpackScalesAndMins(packed_scales, scales, mins);
  for (int chunk = 0; chunk < 4; ++chunk) {
    for (int l = 0; l < 32; ++l) {
      int lo = qs[32 * chunk + l] & 0x0F, hi = qs[32 * chunk + l] >> 4;
      if (qh != nullptr) {
        lo |= ((qh[l] >> (2 * chunk)) & 1) << 4;
        hi |= ((qh[l] >> (2 * chunk + 1)) & 1) << 4;
      }
      q[64 * chunk + l] = lo;
      q[64 * chunk + 32 + l] = hi;
    }
  }
}

void DequantizeAffine(TensorType type, const uint8_t* bytes, float* out) {
  int q[kSuperBlock], scales[8], mins[8];
  float d, dmin;
  UnpackAffine(type, bytes, q, scales, mins, d, dmin);
  for (int i = 0; i < kSuperBlock; ++i) out[i] = d * scales[i / 32] * q[i] - dmin * mins[i / 32];
}

// Q6_K's 256 quants in weight order (-32..31), its 16 scales (weight i has scales[i / 16]) and
// d. Each 128-weight half n uses ql[64n..], qh[32n..]: byte l of ql holds weights l (low
// nibble) and l + 64 (high), byte l + 32 holds l + 32 and l + 96; qh[l]'s bit pairs are the
// top 2 bits of weights l, l + 32, l + 64, l + 96.
void UnpackQ6_K(const uint8_t* bytes, int* q, int* scales, float& d) {
  BlockQ6_K block;
  std::memcpy(&block, bytes, sizeof(block));
  d = HalfToFloat(block.d);
  for (int j = 0; j < 16; ++j) scales[j] = block.scales[j];
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = block.ql + 64 * half;
    const uint8_t* qh = block.qh + 32 * half;
    int* y = q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      y[l] = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      y[l + 32] = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      y[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      y[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
    }
  }
}

void QuantizeQ6_K(const float* x, BlockQ6_K& block) {
  // Sub-blocks of 16 at a signed scale max|x| / 32 (q in [-32, 31]), scales to int8 against d.
  float sub_scale[16];
  for (int j = 0; j < 16; ++j) {
    float extreme = 0;  // the value of largest magnitude, with its sign
    for (int i = 0; i < 16; ++i) {
      if (std::fabs(x[16 * j + i]) > std::fabs(extreme)) extreme = x[16 * j + i];
    }
    sub_scale[j] = -extreme / 32;  // the extreme maps to q = -32, the one exact end
  }
  float max_abs = 0;
  for (float s : sub_scale) max_abs = std::max(max_abs, std::fabs(s));
  block.d = FloatToHalf(max_abs / 127);
  const float d = HalfToFloat(block.d);
  uint8_t q[kSuperBlock];
  for (int j = 0; j < 16; ++j) {
    const int scale = d > 0 ? Clamp(static_cast<int>(std::lround(sub_scale[j] / d)), -127, 127) : 0;
    block.scales[j] = static_cast<int8_t>(scale);
    const float step = d * scale;
    for (int i = 0; i < 16; ++i) {
      const int value = step != 0 ? static_cast<int>(std::lround(x[16 * j + i] / step)) : 0;
      q[16 * j + i] = static_cast<uint8_t>(Clamp(value, -32, 31) + 32);
    }
  }
  std::memset(block.ql, 0, sizeof(block.ql));
  std::memset(block.qh, 0, sizeof(block.qh));
  for (int half = 0; half < 2; ++half) {
    uint8_t* ql = block.ql + 64 * half;
    uint8_t* qh = block.qh + 32 * half;
    const uint8_t* qs = q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      ql[l] = static_cast<uint8_t>((qs[l] & 0x0F) | ((qs[l + 64] & 0x0F) << 4));
      ql[l + 32] = static_cast<uint8_t>((qs[l + 32] & 0x0F) | ((qs[l + 96] & 0x0F) << 4));
      qh[l] = static_cast<uint8_t>((qs[l] >> 4) | ((qs[l + 32] >> 4) << 2) |
                                   ((qs[l + 64] >> 4) << 4) | ((qs[l + 96] >> 4) << 6));
    }
  }
}

float DotAffineQ8_K(TensorType type, const uint8_t* bytes, const BlockQ8_K& x) {
  int q[kSuperBlock], scales[8], mins[8];
  float d, dmin;
  UnpackAffine(type, bytes, q, scales, mins, d, dmin);
  int32_t sum_scaled = 0, sum_mins = 0;
  for (int j = 0; j < 8; ++j) {
    int32_t sum = 0;
    for (int i = 0; i < 32; ++i) sum += q[32 * j + i] * x.qs[32 * j + i];
    sum_scaled += scales[j] * sum;
    sum_mins += mins[j] * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return d * x.d * sum_scaled - dmin * x.d * sum_mins;
}

float DotQ6_KQ8_K(const uint8_t* bytes, const BlockQ8_K& x) {
  int q[kSuperBlock], scales[16];
  float d;
  UnpackQ6_K(bytes, q, scales, d);
  int32_t sum_scaled = 0;
  for (int j = 0; j < 16; ++j) {
    int32_t sum = 0;
    for (int i = 16 * j; i < 16 * j + 16; ++i) sum += q[i] * x.qs[i];
    sum_scaled += scales[j] * sum;
  }
  return d * x.d * sum_scaled;
}

}  // namespace

void QuantizeRowQ8_K(const float* x, int64_t n, BlockQ8_K* out) {
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* xb = x + b * kSuperBlock;
    BlockQ8_K& block = out[b];
    float extreme = 0;  // the value of largest magnitude, with its sign
    for (int i = 0; i < kSuperBlock; ++i) {
      if (std::fabs(xb[i]) > std::fabs(extreme)) extreme = xb[i];
    }
    if (extreme == 0) {
      block = BlockQ8_K{};  // all zero
      continue;
    }
    const float inverse = -127.0f / extreme;
    for (int i = 0; i < kSuperBlock; ++i) {
      block.qs[i] =
          static_cast<int8_t>(std::min(127, static_cast<int>(std::nearbyint(inverse * xb[i]))));
    }
    for (int j = 0; j < kSuperBlock / 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += block.qs[16 * j + i];
      block.bsums[j] = static_cast<int16_t>(sum);
    }
    block.d = 1 / inverse;
  }
}

float DotKQuantQ8_K(TensorType type, const uint8_t* row, const BlockQ8_K* x, int64_t blocks) {
  const size_t block_bytes = KQuantBlockBytes(type);
  float sum = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* bytes = row + b * block_bytes;
    sum += type == TensorType::kQ6_K ? DotQ6_KQ8_K(bytes, x[b]) : DotAffineQ8_K(type, bytes, x[b]);
  }
  return sum;
}

bool IsKQuant(TensorType type) {
  return type == TensorType::kQ4_K || type == TensorType::kQ5_K || type == TensorType::kQ6_K;
}

size_t KQuantBlockBytes(TensorType type) {
  switch (type) {
    case TensorType::kQ4_K:
      return sizeof(BlockQ4_K);
    case TensorType::kQ5_K:
      return sizeof(BlockQ5_K);
    case TensorType::kQ6_K:
      return sizeof(BlockQ6_K);
    default:
      return 0;
  }
}

void DequantizeKBlock(TensorType type, const uint8_t* bytes, float* out) {
  switch (type) {
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
      DequantizeAffine(type, bytes, out);
      return;
    case TensorType::kQ6_K: {
      int q[kSuperBlock], scales[16];
      float d;
      UnpackQ6_K(bytes, q, scales, d);
      for (int i = 0; i < kSuperBlock; ++i) out[i] = d * scales[i / 16] * q[i];
      return;
    }
    default:
      return;
  }
}

void QuantizeKBlock(TensorType type, const float* in, uint8_t* bytes) {
  switch (type) {
    case TensorType::kQ4_K: {
      BlockQ4_K block;
      uint8_t q[kSuperBlock];
      QuantizeAffine(in, 15, block.d, block.dmin, block.scales, q);
      for (int chunk = 0; chunk < 4; ++chunk) {
        for (int l = 0; l < 32; ++l) {
          block.qs[32 * chunk + l] =
              static_cast<uint8_t>(q[64 * chunk + l] | (q[64 * chunk + 32 + l] << 4));
        }
      }
      std::memcpy(bytes, &block, sizeof(block));
      return;
    }
    case TensorType::kQ5_K: {
      BlockQ5_K block;
      uint8_t q[kSuperBlock];
      QuantizeAffine(in, 31, block.d, block.dmin, block.scales, q);
      std::memset(block.qh, 0, sizeof(block.qh));
      for (int chunk = 0; chunk < 4; ++chunk) {
        for (int l = 0; l < 32; ++l) {
          const int lo = q[64 * chunk + l], hi = q[64 * chunk + 32 + l];
          block.qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
          block.qh[l] |=
              static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
        }
      }
      std::memcpy(bytes, &block, sizeof(block));
      return;
    }
    case TensorType::kQ6_K: {
      BlockQ6_K block;
      QuantizeQ6_K(in, block);
      std::memcpy(bytes, &block, sizeof(block));
      return;
    }
    default:
      return;
  }
}

}  // namespace cascade::engine
