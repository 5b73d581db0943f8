// The transformer's other operations on the GPU: RMSNorm (of rows, and of each head for qwen3's
// QK-norm), biases (qwen2), RoPE, SwiGLU, causal attention over the KV cache in GPU memory, and
// fills for random models. Each follows session.cc's (and rope.cc's) CPU code.
#include <cuda_fp16.h>

#include "services/inference/engine/cuda/block_reduce.cuh"
#include "services/inference/engine/cuda/index_math.h"
#include "services/inference/engine/cuda/kernels.h"

namespace cascade::engine::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kAttentionThreads = 128;
constexpr int kHeadThreads = 64;               // per head vector (head_dim <= 256)
constexpr int kStaticSharedLimit = 48 * 1024;  // beyond this, dynamic shared memory is opt-in

__global__ void RmsNormKernel(const float* __restrict__ x, const float* __restrict__ weight,
                              int dim, float eps, float* __restrict__ out) {
  __shared__ float scratch[kWarp];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * dim;
  float sum = 0;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) sum += row[i] * row[i];
  sum = BlockSum(sum, scratch);
  const float scale = rsqrtf(sum / dim + eps);
  float* out_row = out + static_cast<int64_t>(blockIdx.x) * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) out_row[i] = row[i] * scale * weight[i];
}

// One block per vector; in place, so no __restrict__ on the one pointer.
__global__ void HeadRmsNormKernel(float* vectors, int head_dim, const float* __restrict__ weight,
                                  float eps) {
  __shared__ float scratch[kWarp];
  float* v = vectors + static_cast<int64_t>(blockIdx.x) * head_dim;
  float sum = 0;
  for (int i = threadIdx.x; i < head_dim; i += blockDim.x) sum += v[i] * v[i];
  sum = BlockSum(sum, scratch);  // synchronises: every value is read before any is written
  const float scale = rsqrtf(sum / head_dim + eps);
  for (int i = threadIdx.x; i < head_dim; i += blockDim.x) v[i] = v[i] * scale * weight[i];
}

__global__ void AddBiasKernel(float* rows, int64_t row_stride, const float* __restrict__ bias,
                              int width, int64_t items) {
  const int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (item >= items) return;
  const int64_t t = item / width;
  const int i = static_cast<int>(item % width);
  rows[t * row_stride + i] += bias[i];
}

__global__ void RopeKernel(float* rows, int64_t row_stride, int64_t items, int heads, int head_dim,
                           int rope_dims, bool halves, const float* __restrict__ table, int start) {
  const int64_t item = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (item >= items) return;
  const RopeItem at = RopeItemOf(item, heads, rope_dims / 2);
  float* v = rows + RopeElement(at, row_stride, head_dim, halves);
  const int partner = RopePartner(rope_dims, halves);
  const float* rotation = table + RopeTableIndex(start + at.token, at.pair, rope_dims);
  const float cos = rotation[0];
  const float sin = rotation[1];
  const float a = v[0];
  const float b = v[partner];
  v[0] = a * cos - b * sin;
  v[partner] = a * sin + b * cos;
}

__global__ void SwigluKernel(float* gate, const float* __restrict__ up, int64_t count) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const float g = gate[i];
  gate[i] = g / (1.0f + expf(-g)) * up[i];
}

// One block per (token, query head). Scores for every visible position live in dynamic
// shared memory (capacity floats), the query in static shared memory.
__global__ void AttentionKernel(AttentionShape s, const float* __restrict__ query,
                                const float* __restrict__ keys, const float* __restrict__ values,
                                float* __restrict__ out) {
  extern __shared__ float scores[];
  __shared__ float q[256];  // head_dim <= 256, checked on upload
  __shared__ float scratch[kWarp];
  const int t = AttentionToken(blockIdx.x, s.heads);
  const int h = AttentionHead(blockIdx.x, s.heads);
  const int q_dim = s.heads * s.head_dim;
  const int kv_dim = s.kv_heads * s.head_dim;
  const int kv_offset = KvHeadOf(h, s.heads, s.kv_heads) * s.head_dim;
  const int first = FirstVisiblePosition(s.start, t, s.window);
  const int visible = VisiblePositions(s.start, t) - first;  // scores[i] is position first + i
  const float scale = rsqrtf(static_cast<float>(s.head_dim));
  for (int d = threadIdx.x; d < s.head_dim; d += blockDim.x) {
    q[d] = query[static_cast<int64_t>(t) * q_dim + h * s.head_dim + d];
  }
  __syncthreads();

  // Scores: one warp per position, lanes across the head's dimensions.
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int warps = static_cast<int>(blockDim.x) / kWarp;
  for (int i = warp; i < visible; i += warps) {
    const float* k = keys + KvOffset(s.layer, first + i, s.capacity, kv_dim) + kv_offset;
    float dot = 0;
    for (int d = lane; d < s.head_dim; d += kWarp) dot += q[d] * k[d];
    dot = WarpReduceSum(dot);
    if (lane == 0) scores[i] = dot * scale;
  }
  __syncthreads();

  // Softmax over the visible positions.
  float max = -INFINITY;
  for (int p = threadIdx.x; p < visible; p += blockDim.x) max = fmaxf(max, scores[p]);
  max = BlockMax(max, scratch);
  float sum = 0;
  for (int p = threadIdx.x; p < visible; p += blockDim.x) {
    const float e = expf(scores[p] - max);
    scores[p] = e;
    sum += e;
  }
  sum = BlockSum(sum, scratch);  // synchronises: every score is written
  const float inverse = 1.0f / sum;

  // Weighted sum of values: threads across dimensions, so reads of a value row coalesce.
  for (int d = threadIdx.x; d < s.head_dim; d += blockDim.x) {
    float acc = 0;
    for (int i = 0; i < visible; ++i) {
      acc += scores[i] * values[KvOffset(s.layer, first + i, s.capacity, kv_dim) + kv_offset + d];
    }
    out[static_cast<int64_t>(t) * q_dim + h * s.head_dim + d] = acc * inverse;
  }
}

__global__ void RandomHalvesKernel(__half* out, int64_t count, uint64_t seed, float scale) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = __float2half(HashUniform(seed, static_cast<uint64_t>(i)) * scale);
  }
}

__global__ void FillKernel(float* out, int64_t count, float value) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = value;
  }
}

unsigned GridFor(int64_t count) {
  const int64_t blocks = CeilDiv(count, kThreads);
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

}  // namespace

cudaError_t LaunchRmsNorm(const float* x, const float* weight, int n, int dim, float eps,
                          float* out, cudaStream_t stream) {
  RmsNormKernel<<<n, kThreads, 0, stream>>>(x, weight, dim, eps, out);
  return cudaGetLastError();
}

cudaError_t LaunchHeadRmsNorm(float* vectors, int64_t count, int head_dim, const float* weight,
                              float eps, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  HeadRmsNormKernel<<<static_cast<unsigned>(count), kHeadThreads, 0, stream>>>(vectors, head_dim,
                                                                               weight, eps);
  return cudaGetLastError();
}

cudaError_t LaunchAddBias(float* rows, int n, int64_t row_stride, const float* bias, int width,
                          cudaStream_t stream) {
  const int64_t items = static_cast<int64_t>(n) * width;
  if (items == 0) return cudaSuccess;
  AddBiasKernel<<<static_cast<unsigned>(CeilDiv(items, kThreads)), kThreads, 0, stream>>>(
      rows, row_stride, bias, width, items);
  return cudaGetLastError();
}

cudaError_t LaunchRope(float* rows, int64_t row_stride, int n, int heads, int head_dim,
                       int rope_dims, bool halves, const float* rope_table, int start,
                       cudaStream_t stream) {
  const int64_t items = static_cast<int64_t>(n) * heads * (rope_dims / 2);
  if (items == 0) return cudaSuccess;
  RopeKernel<<<static_cast<unsigned>(CeilDiv(items, kThreads)), kThreads, 0, stream>>>(
      rows, row_stride, items, heads, head_dim, rope_dims, halves, rope_table, start);
  return cudaGetLastError();
}

cudaError_t LaunchSwiglu(float* gate, const float* up, int64_t count, cudaStream_t stream) {
  SwigluKernel<<<static_cast<unsigned>(CeilDiv(count, kThreads)), kThreads, 0, stream>>>(gate, up,
                                                                                         count);
  return cudaGetLastError();
}

cudaError_t LaunchAttention(const AttentionShape& shape, const float* query, const float* keys,
                            const float* values, float* out, cudaStream_t stream) {
  if (shape.head_dim > 256) return cudaErrorInvalidValue;
  const size_t shared = static_cast<size_t>(shape.capacity) * sizeof(float);
  if (shared > kStaticSharedLimit) {
    // Long contexts: opt in to more shared memory (up to 227 KiB on sm_90).
    if (auto error = cudaFuncSetAttribute(
            AttentionKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared));
        error != cudaSuccess) {
      return error;
    }
  }
  AttentionKernel<<<shape.n * shape.heads, kAttentionThreads, shared, stream>>>(shape, query, keys,
                                                                                values, out);
  return cudaGetLastError();
}

cudaError_t LaunchRandomHalves(void* out, int64_t count, uint64_t seed, float scale,
                               cudaStream_t stream) {
  RandomHalvesKernel<<<GridFor(count), kThreads, 0, stream>>>(static_cast<__half*>(out), count,
                                                              seed, scale);
  return cudaGetLastError();
}

cudaError_t LaunchFill(float* out, int64_t count, float value, cudaStream_t stream) {
  FillKernel<<<GridFor(count), kThreads, 0, stream>>>(out, count, value);
  return cudaGetLastError();
}

}  // namespace cascade::engine::cuda
