#include "services/inference/engine/tensor_type.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/k_quants.h"

namespace cascade::engine {

std::string GgmlTypeName(uint32_t type_id) {
  static constexpr const char* kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  "Q4_2(removed)", "Q4_3(removed)", "Q5_0",  "Q5_1",
      "Q8_0",    "Q8_1",   "Q2_K",    "Q3_K",  "Q4_K",          "Q5_K",          "Q6_K",  "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",        "IQ3_S",         "IQ2_S", "IQ4_XS",
      "I8",      "I16",    "I32",     "I64",   "F64",           "IQ1_M",         "BF16"};
  if (type_id < std::size(kNames)) return kNames[type_id];
  return absl::StrCat("unknown type ", type_id);
}

absl::Status CheckSupportedTensorType(uint32_t type_id, const std::string& tensor_name) {
  switch (static_cast<TensorType>(type_id)) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
    case TensorType::kQ8_0:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "tensor '", tensor_name, "' has type ", GgmlTypeName(type_id),
      ", which this engine does not support (supported: F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, "
      "Q4_K, Q5_K, Q6_K)"));
}

int BlockElements(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16:
      return 1;
    case TensorType::kQ8_0:
    case TensorType::kQ4_0:
    case TensorType::kQ4_1:
    case TensorType::kQ5_0:
    case TensorType::kQ5_1:
      return kQuantBlock;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return kSuperBlock;
  }
  return 1;
}

size_t RowBytes(TensorType type, int64_t cols) {
  switch (type) {
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      return static_cast<size_t>(cols / kSuperBlock) * KQuantBlockBytes(type);
    case TensorType::kF32:
      return static_cast<size_t>(cols) * 4;
    case TensorType::kF16:
      return static_cast<size_t>(cols) * 2;
    case TensorType::kQ8_0:
      return static_cast<size_t>(cols / kQuantBlock) * sizeof(BlockQ8_0);
    case TensorType::kQ4_0:
      return static_cast<size_t>(cols / kQuantBlock) * sizeof(BlockQ4_0);
    case TensorType::kQ4_1:
      return static_cast<size_t>(cols / kQuantBlock) * sizeof(BlockQ4_1);
    case TensorType::kQ5_0:
      return static_cast<size_t>(cols / kQuantBlock) * sizeof(BlockQ5_0);
    case TensorType::kQ5_1:
      return static_cast<size_t>(cols / kQuantBlock) * sizeof(BlockQ5_1);
  }
  return 0;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) {  // inf or nan
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs_bits = bits & 0x7fffffff;
  if (abs_bits >= 0x7f800000u) {  // inf stays inf, nan stays a (quiet) nan
    return sign | 0x7c00 | (abs_bits > 0x7f800000u ? 0x200 : 0);
  }
  if (abs_bits >= 0x477ff000u) return sign | 0x7c00;  // rounds past 65504: overflow to inf
  if (abs_bits < 0x38800000u) {
    // Below the smallest normal half (2^-14): a subnormal, a multiple of 2^-24. Adding 0.5 in
    // float arithmetic makes the FPU round to nearest even for us.
    const float magnitude = std::bit_cast<float>(abs_bits);
    const float scaled = magnitude * 16777216.0f;  // in units of 2^-24, exact
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Normal: drop 13 mantissa bits with round to nearest even, then rebias the exponent.
  const uint32_t rounding = 0xfff + ((abs_bits >> 13) & 1);
  const uint32_t rounded = abs_bits + rounding;
  return sign | static_cast<uint16_t>((rounded - 0x38000000u) >> 13);
}

namespace {

uint16_t LoadHalf(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return h;
}

}  // namespace

void UnpackFiveBitLevels(const uint8_t* high, const uint8_t* q, uint8_t* levels) {
  uint32_t bits;
  std::memcpy(&bits, high, sizeof(bits));
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    levels[j] = static_cast<uint8_t>((q[j] & 0x0f) | (((bits >> j) & 1) << 4));
    levels[j + kQuantBlock / 2] =
        static_cast<uint8_t>((q[j] >> 4) | (((bits >> (j + 16)) & 1) << 4));
  }
}

void DequantizeRow(TensorType type, const void* row, int64_t cols, float* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, row, static_cast<size_t>(cols) * 4);
      return;
    case TensorType::kF16: {
      // Tensor data is only as aligned as the file says (general.alignment may be 1), so
      // every 16-bit value is copied out rather than read through a uint16_t pointer.
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t i = 0; i < cols; ++i) out[i] = HalfToFloat(LoadHalf(bytes + 2 * i));
      return;
    }
    case TensorType::kQ8_0: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
        BlockQ8_0 block;
        std::memcpy(&block, bytes + b * sizeof(BlockQ8_0), sizeof(block));
        const float scale = HalfToFloat(block.scale);
        for (int j = 0; j < kQuantBlock; ++j) out[b * kQuantBlock + j] = scale * block.q[j];
      }
      return;
    }
    case TensorType::kQ4_0: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
        BlockQ4_0 block;
        std::memcpy(&block, bytes + b * sizeof(BlockQ4_0), sizeof(block));
        const float scale = HalfToFloat(block.scale);
        float* dst = out + b * kQuantBlock;
        for (int j = 0; j < kQuantBlock / 2; ++j) {
          dst[j] = scale * static_cast<float>((block.q[j] & 0x0f) - 8);
          dst[j + kQuantBlock / 2] = scale * static_cast<float>((block.q[j] >> 4) - 8);
        }
      }
      return;
    }
    case TensorType::kQ4_1: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
        BlockQ4_1 block;
        std::memcpy(&block, bytes + b * sizeof(BlockQ4_1), sizeof(block));
        const float scale = HalfToFloat(block.scale);
        const float min = HalfToFloat(block.min);
        float* dst = out + b * kQuantBlock;
        for (int j = 0; j < kQuantBlock / 2; ++j) {
          dst[j] = scale * static_cast<float>(block.q[j] & 0x0f) + min;
          dst[j + kQuantBlock / 2] = scale * static_cast<float>(block.q[j] >> 4) + min;
        }
      }
      return;
    }
    case TensorType::kQ5_0: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
        BlockQ5_0 block;
        std::memcpy(&block, bytes + b * sizeof(BlockQ5_0), sizeof(block));
        uint8_t levels[kQuantBlock];
        UnpackFiveBitLevels(block.high, block.q, levels);
        const float scale = HalfToFloat(block.scale);
        for (int j = 0; j < kQuantBlock; ++j) {
          out[b * kQuantBlock + j] = scale * static_cast<float>(levels[j] - 16);
        }
      }
      return;
    }
    case TensorType::kQ5_1: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
        BlockQ5_1 block;
        std::memcpy(&block, bytes + b * sizeof(BlockQ5_1), sizeof(block));
        uint8_t levels[kQuantBlock];
        UnpackFiveBitLevels(block.high, block.q, levels);
        const float scale = HalfToFloat(block.scale);
        const float min = HalfToFloat(block.min);
        for (int j = 0; j < kQuantBlock; ++j) out[b * kQuantBlock + j] = scale * levels[j] + min;
      }
      return;
    }
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K: {
      const auto* bytes = static_cast<const uint8_t*>(row);
      for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
        DequantizeKBlock(type, bytes + b * KQuantBlockBytes(type), out + b * kSuperBlock);
      }
      return;
    }
  }
}

namespace {

void QuantizeRowQ8_0(const float* row, int64_t cols, BlockQ8_0* blocks) {
  for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
    const float* x = row + b * kQuantBlock;
    float max_abs = 0;
    for (int j = 0; j < kQuantBlock; ++j) max_abs = std::max(max_abs, std::fabs(x[j]));
    const float scale = max_abs / 127.0f;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    for (int j = 0; j < kQuantBlock; ++j) {
      blocks[b].q[j] = static_cast<int8_t>(std::lround(x[j] * inverse));
    }
  }
}

// The block's value of the largest magnitude, with its sign (the first such, on a tie).
float SignedExtreme(const float* x) {
  float extreme = 0;
  for (int j = 0; j < kQuantBlock; ++j) {
    if (std::fabs(x[j]) > std::fabs(extreme)) extreme = x[j];
  }
  return extreme;
}

void QuantizeRowQ4_0(const float* row, int64_t cols, BlockQ4_0* blocks) {
  for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
    const float* x = row + b * kQuantBlock;
    // The value with the largest magnitude maps to -8 exactly, using the full 4-bit range.
    const float scale = SignedExtreme(x) / -8.0f;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    auto level = [&](float v) {
      return static_cast<uint8_t>(std::clamp(static_cast<int>(v * inverse + 8.5f), 0, 15));
    };
    for (int j = 0; j < kQuantBlock / 2; ++j) {
      blocks[b].q[j] = static_cast<uint8_t>(level(x[j]) | (level(x[j + kQuantBlock / 2]) << 4));
    }
  }
}

// As GGML: the block's minimum and range / 15, each level rounded to nearest from the minimum.
void QuantizeRowQ4_1(const float* row, int64_t cols, BlockQ4_1* blocks) {
  for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
    const float* x = row + b * kQuantBlock;
    const auto extremes = std::minmax_element(x, x + kQuantBlock);
    const float lowest = *extremes.first;
    const float scale = (*extremes.second - lowest) / 15.0f;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    blocks[b].scale = FloatToHalf(scale);
    blocks[b].min = FloatToHalf(lowest);
    auto level = [&](float v) {
      return static_cast<uint8_t>(
          std::clamp(static_cast<int>((v - lowest) * inverse + 0.5f), 0, 15));
    };
    for (int j = 0; j < kQuantBlock / 2; ++j) {
      blocks[b].q[j] = static_cast<uint8_t>(level(x[j]) | (level(x[j + kQuantBlock / 2]) << 4));
    }
  }
}

// 32 five-bit levels into Q5_0 / Q5_1's low nibbles and high-bit word.
void PackFiveBitLevels(const uint8_t* levels, uint8_t* high, uint8_t* q) {
  uint32_t bits = 0;
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    const uint8_t first = levels[j], second = levels[j + kQuantBlock / 2];
    q[j] = static_cast<uint8_t>((first & 0x0f) | ((second & 0x0f) << 4));
    bits |= static_cast<uint32_t>(first >> 4) << j;
    bits |= static_cast<uint32_t>(second >> 4) << (j + 16);
  }
  std::memcpy(high, &bits, sizeof(bits));
}

void QuantizeRowQ5_0(const float* row, int64_t cols, uint8_t* out) {
  for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
    const float* x = row + b * kQuantBlock;
    // As Q4_0: the value of the largest magnitude maps to -16 exactly.
    const float scale = SignedExtreme(x) / -16.0f;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    uint8_t levels[kQuantBlock];
    for (int j = 0; j < kQuantBlock; ++j) {
      levels[j] = static_cast<uint8_t>(std::clamp(static_cast<int>(x[j] * inverse + 16.5f), 0, 31));
    }
    BlockQ5_0 block;
    block.scale = FloatToHalf(scale);
    PackFiveBitLevels(levels, block.high, block.q);
    std::memcpy(out + b * sizeof(block), &block, sizeof(block));
  }
}

void QuantizeRowQ5_1(const float* row, int64_t cols, uint8_t* out) {
  for (int64_t b = 0; b < cols / kQuantBlock; ++b) {
    const float* x = row + b * kQuantBlock;
    const auto [lowest, highest] = std::minmax_element(x, x + kQuantBlock);
    const float scale = (*highest - *lowest) / 31.0f;
    const float inverse = scale != 0 ? 1.0f / scale : 0.0f;
    uint8_t levels[kQuantBlock];
    for (int j = 0; j < kQuantBlock; ++j) {
      levels[j] = static_cast<uint8_t>(
          std::clamp(static_cast<int>((x[j] - *lowest) * inverse + 0.5f), 0, 31));
    }
    BlockQ5_1 block;
    block.scale = FloatToHalf(scale);
    block.min = FloatToHalf(*lowest);
    PackFiveBitLevels(levels, block.high, block.q);
    std::memcpy(out + b * sizeof(block), &block, sizeof(block));
  }
}

}  // namespace

void QuantizeRow(TensorType type, const float* row, int64_t cols, void* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, row, static_cast<size_t>(cols) * 4);
      return;
    case TensorType::kF16: {
      auto* h = static_cast<uint16_t*>(out);
      for (int64_t i = 0; i < cols; ++i) h[i] = FloatToHalf(row[i]);
      return;
    }
    case TensorType::kQ8_0:
      QuantizeRowQ8_0(row, cols, static_cast<BlockQ8_0*>(out));
      return;
    case TensorType::kQ4_0:
      QuantizeRowQ4_0(row, cols, static_cast<BlockQ4_0*>(out));
      return;
    case TensorType::kQ4_1:
      QuantizeRowQ4_1(row, cols, static_cast<BlockQ4_1*>(out));
      return;
    case TensorType::kQ5_0:
      QuantizeRowQ5_0(row, cols, static_cast<uint8_t*>(out));
      return;
    case TensorType::kQ5_1:
      QuantizeRowQ5_1(row, cols, static_cast<uint8_t*>(out));
      return;
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
      for (int64_t b = 0; b < cols / kSuperBlock; ++b) {
        QuantizeKBlock(type, row + b * kSuperBlock,
                       static_cast<uint8_t*>(out) + b * KQuantBlockBytes(type));
      }
      return;
  }
}

}  // namespace cascade::engine
