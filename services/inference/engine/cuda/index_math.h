// The index arithmetic of the CUDA kernels, as __host__ __device__ functions: the kernels call
// them, and CPU unit tests (tests/unit/inference/cuda_index_math_test.cc) check them, so CI
// tests the addressing even where no GPU runs. Plain C++ when not compiled by nvcc.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CASCADE_HD __host__ __device__
#else
#define CASCADE_HD
#endif

namespace cascade::engine::cuda {

inline constexpr int kWarp = 32;
inline constexpr int kQ8Block = 32;  // weights per Q8_0 block (one scale each)

CASCADE_HD constexpr int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- Matrix-vector products: one warp per weight row ------------------------------------
// Row of warp `warp` in block `block` when each block holds `warps_per_block` warps.
CASCADE_HD constexpr int64_t WarpRow(int64_t block, int warps_per_block, int warp) {
  return block * warps_per_block + warp;
}
// F16: each lane loads 8 halves (16 bytes) at a time; a warp covers 256 columns per step.
inline constexpr int kF16PerLoad = 8;
inline constexpr int kF16ColumnsPerStep = kWarp * kF16PerLoad;
// First column of lane `lane`'s load in step `step`.
CASCADE_HD constexpr int64_t F16LaneColumn(int64_t step, int lane) {
  return (step * kWarp + lane) * kF16PerLoad;
}
// Q8_0 (device layout, see Q8QuantIndex): each lane takes one whole 32-weight block per step.
CASCADE_HD constexpr int64_t Q8LaneBlock(int64_t step, int lane) { return step * kWarp + lane; }

// Q8_0 as stored in GPU memory: GGUF's 34-byte blocks (a half scale, then 32 int8) are split
// into an int8 matrix [rows][cols] and a half matrix of scales [rows][cols / 32], so that
// every load is aligned (a 34-byte block is not).
CASCADE_HD constexpr int64_t Q8QuantIndex(int64_t row, int64_t col, int64_t cols) {
  return row * cols + col;
}
CASCADE_HD constexpr int64_t Q8ScaleIndex(int64_t row, int64_t col, int64_t cols) {
  return row * (cols / kQ8Block) + col / kQ8Block;
}

// Tokens of a batch are processed in tiles of up to kTokenTile (the accumulators of a lane;
// the decode step uses tiles of 1): tokens [first, first + TileTokens) share each weight load.
inline constexpr int kTokenTile = 16;
CASCADE_HD constexpr int TileTokens(int n_tokens, int first, int tile = kTokenTile) {
  return n_tokens - first < tile ? n_tokens - first : tile;
}

// ---- KV cache: [layer][position][kv_dim] floats, keys and values alike ------------------
// The rows of consecutive positions are adjacent, so a pass's new keys are n * kv_heads
// vectors of head_dim floats back to back (what qwen3's per-head RMSNorm walks over).
CASCADE_HD constexpr int64_t KvOffset(int layer, int position, int capacity, int kv_dim) {
  return (static_cast<int64_t>(layer) * capacity + position) * kv_dim;
}
// Grouped-query attention: query head h reads key/value head h / (heads / kv_heads).
CASCADE_HD constexpr int KvHeadOf(int head, int heads, int kv_heads) {
  return head / (heads / kv_heads);
}
// Causal attention: token t of a pass that starts at `start` sees positions 0 .. start + t,
// or with a sliding window of `window` > 0 positions the last `window` of them.
CASCADE_HD constexpr int VisiblePositions(int start, int t) { return start + t + 1; }
CASCADE_HD constexpr int FirstVisiblePosition(int start, int t, int window) {
  return window > 0 && start + t >= window ? start + t + 1 - window : 0;
}
// Attention runs one thread block per (token, query head): item = t * heads + h.
CASCADE_HD constexpr int AttentionToken(int item, int heads) { return item / heads; }
CASCADE_HD constexpr int AttentionHead(int item, int heads) { return item % heads; }

// ---- RoPE: pairs of each head, adjacent (v[2i], v[2i+1]; llama) or halves (v[i],
// v[i + rope_dims/2]; NEOX style, qwen2/qwen3), as rope.cc ApplyRope pairs them ------------------
// Work item -> (token, head, pair) for n tokens of `heads` heads with `pairs` rotated pairs.
struct RopeItem {
  int token;
  int head;
  int pair;
};
CASCADE_HD constexpr RopeItem RopeItemOf(int64_t item, int heads, int pairs) {
  return {static_cast<int>(item / (static_cast<int64_t>(heads) * pairs)),
          static_cast<int>(item / pairs % heads), static_cast<int>(item % pairs)};
}
// Element index of the pair's first value in rows of `row_stride` floats.
CASCADE_HD constexpr int64_t RopeElement(RopeItem item, int64_t row_stride, int head_dim,
                                         bool halves) {
  return item.token * row_stride + static_cast<int64_t>(item.head) * head_dim +
         (halves ? item.pair : 2 * item.pair);
}
// Distance from the pair's first value to its second.
CASCADE_HD constexpr int RopePartner(int rope_dims, bool halves) {
  return halves ? rope_dims / 2 : 1;
}
// (cos, sin) of pair `pair` at `position` in the model's table [context][rope_dims / 2][2].
CASCADE_HD constexpr int64_t RopeTableIndex(int position, int pair, int rope_dims) {
  return static_cast<int64_t>(position) * rope_dims + 2 * pair;
}

// ---- Forward: long inputs run in chunks of kMaxBatch tokens, as the CPU Session does -----
// For the chunk [begin, end) of n tokens whose last `logit_rows` need logits: the first index
// within the chunk that needs logits (end - begin when none does), and the logits row it
// writes first.
struct ChunkLogits {
  int from;       // index within the chunk
  int first_row;  // row of the logits buffer
};
CASCADE_HD constexpr ChunkLogits ChunkLogitsOf(int n, int logit_rows, int begin, int end) {
  const int first_with_logits = n - logit_rows;
  const int logit_from = first_with_logits > begin ? first_with_logits : begin;
  const int from = (logit_from < end ? logit_from : end) - begin;
  const int row = logit_from - first_with_logits;
  return {from, row > 0 ? row : 0};
}

// ---- Float16: bit conversion identical on host and device ----------------------------------
CASCADE_HD inline float HalfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float out;
  __builtin_memcpy(&out, &bits, sizeof(out));
  return out;
#endif
}

// Counter-based random numbers for weights generated in GPU memory: value `index` of stream
// `seed` as a float in [-1, 1), the same on host and device (SplitMix64's finaliser).
CASCADE_HD constexpr float HashUniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<int64_t>(z >> 40) - (1ll << 23)) * (1.0f / (1 << 23));
}

}  // namespace cascade::engine::cuda
