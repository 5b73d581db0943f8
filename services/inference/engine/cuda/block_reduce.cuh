// Reductions across a thread block (blockDim.x a multiple of 32, at most 1024), for the
// kernels in layer_ops.cu and sampling.cu. Every thread gets the result. `scratch` is shared
// memory for 32 values; the function synchronises before reusing it, so calls may follow one
// another.
#pragma once

#include "services/inference/engine/cuda/index_math.h"

namespace cascade::engine::cuda {

__device__ inline float WarpReduceSum(float value) {
  for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  return value;
}

__device__ inline float WarpReduceMax(float value) {
  for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  return value;
}

template <bool kMax>
__device__ inline float BlockReduce(float value, float* scratch) {
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  value = kMax ? WarpReduceMax(value) : WarpReduceSum(value);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  value = lane < warps ? scratch[lane] : (kMax ? -INFINITY : 0.0f);
  return kMax ? WarpReduceMax(value) : WarpReduceSum(value);
}

__device__ inline float BlockSum(float value, float* scratch) {
  return BlockReduce<false>(value, scratch);
}
__device__ inline float BlockMax(float value, float* scratch) {
  return BlockReduce<true>(value, scratch);
}

}  // namespace cascade::engine::cuda
