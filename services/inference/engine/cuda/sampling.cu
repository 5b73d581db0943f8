// What decoding needs from a row of logits, computed where the logits are: the argmax (the
// greedy token and the verdict on a greedy draft) and log(sum(exp)), which turns any logit into
// a log-probability. Only these 12 bytes per row come back to the host; a full row is copied
// only when sampling needs the whole distribution.
#include <cfloat>

#include "services/inference/engine/cuda/block_reduce.cuh"
#include "services/inference/engine/cuda/kernels.h"

namespace cascade::engine::cuda {
namespace {

constexpr int kThreads = 256;

// (value, index) pairs: larger value wins, the lower index among equals (like std::max_element).
__device__ inline void Better(float& value, int& index, float other_value, int other_index) {
  if (other_value > value || (other_value == value && other_index < index)) {
    value = other_value;
    index = other_index;
  }
}

__global__ void RowSummariesKernel(const float* __restrict__ logits, int vocab,
                                   RowSummary* __restrict__ out) {
  __shared__ float scratch[kWarp];
  __shared__ float best_values[kWarp];
  __shared__ int best_indices[kWarp];
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  float value = -FLT_MAX;
  int index = vocab;  // loses to any real entry
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) Better(value, index, row[i], i);
  for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
    Better(value, index, __shfl_xor_sync(0xffffffffu, value, offset),
           __shfl_xor_sync(0xffffffffu, index, offset));
  }
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  if (lane == 0) {
    best_values[warp] = value;
    best_indices[warp] = index;
  }
  __syncthreads();
  value = lane < warps ? best_values[lane] : -FLT_MAX;
  index = lane < warps ? best_indices[lane] : vocab;
  for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
    Better(value, index, __shfl_xor_sync(0xffffffffu, value, offset),
           __shfl_xor_sync(0xffffffffu, index, offset));
  }
  // Every thread now holds the row's best (value, index). A row of NaNs has none: say 0.
  if (index >= vocab) index = 0;
  float sum = 0;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) sum += expf(row[i] - value);
  sum = BlockSum(sum, scratch);
  if (threadIdx.x == 0) out[blockIdx.x] = {index, value, value + logf(sum)};
}

}  // namespace

cudaError_t LaunchRowSummaries(const float* logits, int rows, int vocab, RowSummary* out,
                               cudaStream_t stream) {
  if (rows <= 0) return cudaSuccess;
  RowSummariesKernel<<<rows, kThreads, 0, stream>>>(logits, vocab, out);
  return cudaGetLastError();
}

}  // namespace cascade::engine::cuda
