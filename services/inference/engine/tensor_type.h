// Element types a weight tensor can have, and the conversions between them.
//
// GGUF stores quantized tensors as rows of fixed-size blocks. Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1
// group 32 weights behind one float16 scale (and, for Q4_1 and Q5_1, a float16 minimum), so a
// row of `cols` weights is cols / 32 blocks. The K-quants (k_quants.h) use super-blocks of 256.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace cascade::engine {

// Values are the GGML type ids used on disk.
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,  // what llama.cpp writes for a Q4_K_M file's rows that are no multiple of 256
  kQ5_1 = 7,  // the same for Q5_K_M
  kQ8_0 = 8,
  kQ4_K = 12,  // K-quants: k_quants.h
  kQ5_K = 13,
  kQ6_K = 14,
};

inline constexpr int kQuantBlock = 32;  // weights per Q8_0 / Q4_0 block

struct BlockQ8_0 {
  uint16_t scale;  // float16
  int8_t q[kQuantBlock];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ4_0 {
  uint16_t scale;              // float16
  uint8_t q[kQuantBlock / 2];  // element j in low nibble of q[j], element j+16 in high nibble
};
static_assert(sizeof(BlockQ4_0) == 18);

// Q4_1: the nibbles as Q4_0's, weight = scale * q + min.
struct BlockQ4_1 {
  uint16_t scale, min;  // float16
  uint8_t q[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Q5_0 and Q5_1: element j's 4 low bits as in Q4_0, its fifth bit is bit j of `high` (a
// little-endian uint32). Q5_0: weight = scale * (q - 16); Q5_1: weight = scale * q + min.
struct BlockQ5_0 {
  uint16_t scale;  // float16
  uint8_t high[4];
  uint8_t q[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ5_0) == 22);

struct BlockQ5_1 {
  uint16_t scale, min;  // float16
  uint8_t high[4];
  uint8_t q[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ5_1) == 24);

// The 32 five-bit levels (0..31) of a Q5_0 / Q5_1 block.
void UnpackFiveBitLevels(const uint8_t* high, const uint8_t* q, uint8_t* levels);

// The name of any GGML type id ("F32", "Q4_K", ...), supported or not, for error messages.
std::string GgmlTypeName(uint32_t type_id);

// OK when `type_id` is one of ours; otherwise an error that lists what is supported.
absl::Status CheckSupportedTensorType(uint32_t type_id, const std::string& tensor_name);

// Weights per block: 1 (F32, F16), 32 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) or 256 (K-quants). A row's
// length must be a multiple (checked on load).
int BlockElements(TensorType type);

// Bytes a row of `cols` elements takes (cols a multiple of BlockElements(type)).
size_t RowBytes(TensorType type, int64_t cols);

float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);  // round to nearest even, like F16C

// Converts one row to float32 (for embedding lookups and for tests).
void DequantizeRow(TensorType type, const void* row, int64_t cols, float* out);

// Encodes a float32 row as `type` into `out` (RowBytes(type, cols) bytes). Quantized types
// use the scale max|x| / 127 (Q8_0) or the signed extreme / -8 (Q4_0) or / -16 (Q5_0), or the
// block's range / 15 (Q4_1) or / 31 (Q5_1) from its minimum, as GGML does; K-quants a min/max fit
// per sub-block (k_quants.h).
void QuantizeRow(TensorType type, const float* row, int64_t cols, void* out);

}  // namespace cascade::engine
