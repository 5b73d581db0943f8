// GGML's K-quants: super-blocks of 256 weights with sub-block scales, what the GGUF files
// people download mostly hold (Q4_K_M = Q4_K with some matrices in Q6_K).
//
//   Q4_K (144 bytes): f16 d, f16 dmin, 12 bytes of 6-bit (scale, min) for 8 sub-blocks of 32,
//                     128 bytes of 4-bit q: weight = d * scale * q - dmin * min.
//   Q5_K (176 bytes): Q4_K plus 32 bytes holding each q's fifth bit.
//   Q6_K (210 bytes): 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed 8-bit scales
//                     for sub-blocks of 16, f16 d: weight = d * scale * (q - 32).
//
// In a 64-weight chunk c, byte l of the 4-bit part holds weight c*64 + l in its low nibble and
// c*64 + 32 + l in its high one. The matmul (MatmulKQuant in kernels.h) quantizes each token's
// activations to Q8_K and takes integer dot products, as llama.cpp does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "services/inference/engine/tensor_type.h"

namespace cascade::engine {

inline constexpr int kSuperBlock = 256;  // weights per K-quant block

struct BlockQ4_K {
  uint16_t d, dmin;  // float16
  uint8_t scales[12];
  uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockQ4_K) == 144);

struct BlockQ5_K {
  uint16_t d, dmin;  // float16
  uint8_t scales[12];
  uint8_t qh[kSuperBlock / 8];
  uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockQ5_K) == 176);

struct BlockQ6_K {
  uint8_t ql[kSuperBlock / 2];
  uint8_t qh[kSuperBlock / 4];
  int8_t scales[kSuperBlock / 16];
  uint16_t d;  // float16
};
static_assert(sizeof(BlockQ6_K) == 210);

// Activations for K-quant dot products, as llama.cpp makes them: 256 values at one scale d
// (the extreme maps to -127), and the sums of each 16 quants (for the mins of Q4_K / Q5_K).
struct BlockQ8_K {
  float d;
  int8_t qs[kSuperBlock];
  int16_t bsums[kSuperBlock / 16];
};

bool IsKQuant(TensorType type);
size_t KQuantBlockBytes(TensorType type);

// One super-block (KQuantBlockBytes(type) bytes, any alignment) to 256 floats.
void DequantizeKBlock(TensorType type, const uint8_t* block, float* out);
// 256 floats to one super-block.
void QuantizeKBlock(TensorType type, const float* in, uint8_t* block);

// `n` floats (a multiple of 256) to n / 256 Q8_K blocks.
void QuantizeRowQ8_K(const float* x, int64_t n, BlockQ8_K* out);
// Each of `n_tokens` rows of `cols` floats (back to back) as cols / 256 Q8_K blocks, by
// `quantize` (QuantizeRowQ8_K or its AVX-512 twin), in this thread's buffer: valid until the
// thread's next call. The K-quant matmuls start with it.
const BlockQ8_K* QuantizeActivations(const float* x, int n_tokens, int64_t cols,
                                     void (*quantize)(const float*, int64_t, BlockQ8_K*));
// The same bits with AVX-512 (kernels_k_quants_avx512.cc). Call only where Avx512Kernels() is
// not null.
void QuantizeRowQ8_KAvx512(const float* x, int64_t n, BlockQ8_K* out);
// Q4_K / Q5_K's 8 six-bit scales and mins from their 12 packed bytes: sub-block j < 4 in the
// low 6 bits of bytes j and j + 4; j >= 4 in the nibbles of byte j + 4 with their top 2 bits
// in the spare bits of bytes j - 4 and j. Inline: the dot products call it per super-block.
inline void UnpackScalesAndMins(const uint8_t* packed, int* scales, int* mins) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scales[j] = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
    mins[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

// A K-quant row of `blocks` super-blocks . the Q8_K activations: integer sums per sub-block,
// scaled in float once per super-block, as llama.cpp computes it (so our logits match its).
float DotKQuantQ8_K(TensorType type, const uint8_t* row, const BlockQ8_K* x, int64_t blocks);
// The same with AVX2 integer instructions (kernels_k_quants_avx2.cc), bit-identical: the
// integer sums are exact and the float steps are the same. Call only where the CPU has AVX2.
float DotKQuantQ8_KAvx2(TensorType type, const uint8_t* row, const BlockQ8_K* x, int64_t blocks);

}  // namespace cascade::engine
