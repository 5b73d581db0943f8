// Weight-matrix products for the decode step (one token: a GEMV) and for batches (prefill, or
// verifying k draft tokens in one pass). One warp per weight row: the warp streams the row
// with 16-byte loads, several in flight per lane, and multiplies each piece by up to
// kTokenTile tokens while it is in registers, so a batch reads each row once per tile.
#include <cuda_fp16.h>

#include "services/inference/engine/cuda/index_math.h"
#include "services/inference/engine/cuda/kernels.h"

namespace cascade::engine::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kUnroll = 4;  // loads in flight per lane: memory-level parallelism at batch 1

__device__ inline float WarpSum(float value) {
  for (int offset = kWarp / 2; offset > 0; offset >>= 1) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  return value;
}

// Lane 0 of the warp writes the row's sums (reduced across the warp) for the tile's tokens.
template <int kTile>
__device__ inline void WriteTile(const float (&acc)[kTile], int tile, int first, int lane,
                                 int64_t row, float* out, int64_t out_stride, bool accumulate) {
#pragma unroll
  for (int t = 0; t < kTile; ++t) {
    if (t < tile) {  // tile is the same for the whole warp: the shuffles stay converged
      const float sum = WarpSum(acc[t]);
      if (lane == 0) {
        float* target = out + (first + t) * out_stride + row;
        *target = accumulate ? *target + sum : sum;
      }
    }
  }
}

// The tasks of one launch; a warp's row indexes their rows laid end to end.
struct Tasks {
  MatmulTask task[kMaxMatmulTasks];
  int64_t first_row[kMaxMatmulTasks + 1];  // first_row[count] = total rows
  int count;
  bool accumulate;
};

// Finds the task holding global row `row` and turns `row` into a row of that task.
__device__ inline const MatmulTask* TaskOf(const Tasks& tasks, int64_t& row) {
  int i = 0;
  while (i + 1 < tasks.count && row >= tasks.first_row[i + 1]) ++i;
  row -= tasks.first_row[i];
  return &tasks.task[i];
}

// kTile tokens share each weight load: 1 for the decode step (few registers, many warps in
// flight: it is all about bandwidth), kTokenTile for batches. Products are accumulated with
// explicit fused multiply-adds in a fixed order, so both give bit-identical results. Needs
// cols % 8 == 0 (checked on upload): a lane's 8 halves are all in range or all out.
template <int kTile>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp, kTile == 1 ? 6 : 2)
    MatmulF16Kernel(const Tasks tasks, const float* __restrict__ x, int n) {
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  int64_t row = WarpRow(blockIdx.x, kWarpsPerBlock, warp);
  if (row >= tasks.first_row[tasks.count]) return;  // the whole warp leaves together
  const MatmulTask& task = *TaskOf(tasks, row);
  const int64_t cols = task.w.cols;
  const __half* w_row = static_cast<const __half*>(task.w.weights) + row * cols;
  const int64_t steps = CeilDiv(cols, kF16ColumnsPerStep);
  for (int first = 0; first < n; first += kTile) {
    const int tile = TileTokens(n, first, kTile);
    float acc[kTile] = {};
    for (int64_t step = 0; step < steps; step += kUnroll) {
      uint4 raw[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t col = F16LaneColumn(step + u, lane);
        raw[u] = col < cols ? __ldg(reinterpret_cast<const uint4*>(w_row + col))
                            : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t col = F16LaneColumn(step + u, lane);
        if (col >= cols) break;  // columns only grow with u
        float wf[kF16PerLoad];
        const __half2* pairs = reinterpret_cast<const __half2*>(&raw[u]);
#pragma unroll
        for (int j = 0; j < kF16PerLoad / 2; ++j) {
          const float2 f = __half22float2(pairs[j]);
          wf[2 * j] = f.x;
          wf[2 * j + 1] = f.y;
        }
#pragma unroll
        for (int t = 0; t < kTile; ++t) {
          if (t < tile) {
            const float4* xp = reinterpret_cast<const float4*>(x + (first + t) * cols + col);
            const float4 a = xp[0];
            const float4 b = xp[1];
            float sum = acc[t];
            sum = __fmaf_rn(wf[0], a.x, sum);
            sum = __fmaf_rn(wf[1], a.y, sum);
            sum = __fmaf_rn(wf[2], a.z, sum);
            sum = __fmaf_rn(wf[3], a.w, sum);
            sum = __fmaf_rn(wf[4], b.x, sum);
            sum = __fmaf_rn(wf[5], b.y, sum);
            sum = __fmaf_rn(wf[6], b.z, sum);
            acc[t] = __fmaf_rn(wf[7], b.w, sum);
          }
        }
      }
    }
    WriteTile(acc, tile, first, lane, row, task.out, task.out_stride, tasks.accumulate);
  }
}

// cols % 32 == 0 always (Q8_0 blocks); quants rows start 32-byte aligned.
template <int kTile>
__global__ void __launch_bounds__(kWarpsPerBlock* kWarp, kTile == 1 ? 6 : 2)
    MatmulQ8Kernel(const Tasks tasks, const float* __restrict__ x, int n) {
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  int64_t row = WarpRow(blockIdx.x, kWarpsPerBlock, warp);
  if (row >= tasks.first_row[tasks.count]) return;
  const MatmulTask& task = *TaskOf(tasks, row);
  const int64_t cols = task.w.cols;
  const int8_t* quants = static_cast<const int8_t*>(task.w.weights);
  const __half* scales = static_cast<const __half*>(task.w.scales);
  const int64_t blocks = cols / kQ8Block;
  const int64_t steps = CeilDiv(blocks, kWarp);
  for (int first = 0; first < n; first += kTile) {
    const int tile = TileTokens(n, first, kTile);
    float acc[kTile] = {};
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t block = Q8LaneBlock(step, lane);
      if (block >= blocks) break;
      const int64_t col = block * kQ8Block;
      union {
        int4 vectors[2];
        int8_t values[kQ8Block];
      } q;
      const int4* qp = reinterpret_cast<const int4*>(quants + Q8QuantIndex(row, col, cols));
      q.vectors[0] = __ldg(qp);
      q.vectors[1] = __ldg(qp + 1);
      const float scale = __half2float(scales[Q8ScaleIndex(row, col, cols)]);
#pragma unroll
      for (int t = 0; t < kTile; ++t) {
        if (t < tile) {
          const float4* xp = reinterpret_cast<const float4*>(x + (first + t) * cols + col);
          float sum = 0;
#pragma unroll
          for (int j = 0; j < kQ8Block / 4; ++j) {
            const float4 v = xp[j];
            sum = __fmaf_rn(static_cast<float>(q.values[4 * j]), v.x, sum);
            sum = __fmaf_rn(static_cast<float>(q.values[4 * j + 1]), v.y, sum);
            sum = __fmaf_rn(static_cast<float>(q.values[4 * j + 2]), v.z, sum);
            sum = __fmaf_rn(static_cast<float>(q.values[4 * j + 3]), v.w, sum);
          }
          acc[t] = __fmaf_rn(scale, sum, acc[t]);
        }
      }
    }
    WriteTile(acc, tile, first, lane, row, task.out, task.out_stride, tasks.accumulate);
  }
}

__global__ void EmbedKernel(uint32_t type, const void* weights, const __half* scales, int64_t cols,
                            const int* tokens, float* out) {
  const int t = blockIdx.x;
  const int64_t token = tokens[t];
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    float value;
    if (type == 1) {
      value = __half2float(static_cast<const __half*>(weights)[token * cols + i]);
    } else {
      value = static_cast<const int8_t*>(weights)[Q8QuantIndex(token, i, cols)] *
              __half2float(scales[Q8ScaleIndex(token, i, cols)]);
    }
    out[t * cols + i] = value;
  }
}

cudaError_t LaunchTasks(const MatmulTask* tasks, int count, const float* x, int n, bool accumulate,
                        cudaStream_t stream) {
  if (count < 1 || count > kMaxMatmulTasks) return cudaErrorInvalidValue;
  Tasks all{};
  all.count = count;
  all.accumulate = accumulate;
  for (int i = 0; i < count; ++i) {
    if (tasks[i].w.type != tasks[0].w.type || tasks[i].w.cols != tasks[0].w.cols) {
      return cudaErrorInvalidValue;  // one input, one kernel: same type and width
    }
    all.task[i] = tasks[i];
    all.first_row[i + 1] = all.first_row[i] + tasks[i].w.rows;
  }
  const dim3 grid(static_cast<unsigned>(CeilDiv(all.first_row[count], kWarpsPerBlock)));
  const dim3 block(kWarpsPerBlock * kWarp);
  if (tasks[0].w.type == 1) {
    if (n == 1) {
      MatmulF16Kernel<1><<<grid, block, 0, stream>>>(all, x, n);
    } else {
      MatmulF16Kernel<kTokenTile><<<grid, block, 0, stream>>>(all, x, n);
    }
  } else if (tasks[0].w.type == 8) {
    if (n == 1) {
      MatmulQ8Kernel<1><<<grid, block, 0, stream>>>(all, x, n);
    } else {
      MatmulQ8Kernel<kTokenTile><<<grid, block, 0, stream>>>(all, x, n);
    }
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchMatmuls(const MatmulTask* tasks, int count, const float* x, int n,
                          cudaStream_t stream) {
  return LaunchTasks(tasks, count, x, n, false, stream);
}

cudaError_t LaunchMatmul(const DeviceMatrix& w, const float* x, int n, float* out,
                         int64_t out_stride, bool accumulate, cudaStream_t stream) {
  const MatmulTask task{w, out, out_stride};
  return LaunchTasks(&task, 1, x, n, accumulate, stream);
}

cudaError_t LaunchEmbed(const DeviceMatrix& embedding, const int* tokens, int n, float* out,
                        cudaStream_t stream) {
  if (embedding.type != 1 && embedding.type != 8) return cudaErrorInvalidValue;
  EmbedKernel<<<n, 256, 0, stream>>>(embedding.type, embedding.weights,
                                     static_cast<const __half*>(embedding.scales), embedding.cols,
                                     tokens, out);
  return cudaGetLastError();
}

}  // namespace cascade::engine::cuda
