// Launchers of the CUDA kernels (matmul.cu, layer_ops.cu, sampling.cu). Plain C++ on the host
// side: the .cu files include nothing of the engine but index_math.h, so nvcc compiles little.
// Every launcher enqueues on `stream` and returns the launch error (cudaGetLastError); errors
// inside a kernel surface at the next synchronisation.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace cascade::engine::cuda {

// A weight matrix in GPU memory: F16 rows, or Q8_0 split into int8 quants and half scales
// (index_math.h, Q8QuantIndex). `type` is the GGML id (1 = F16, 8 = Q8_0).
struct DeviceMatrix {
  uint32_t type = 1;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* weights = nullptr;  // F16: [rows][cols] halves; Q8_0: [rows][cols] int8
  const void* scales = nullptr;   // Q8_0 only: [rows][cols / 32] halves

  int64_t bytes() const;  // bytes a full pass over the matrix reads
};

// For each token t < n and row r: out[t * out_stride + r] (+)= w.row(r) . x[t * w.cols ..].
// With `accumulate` the product is added to out (the residual connection). Each (row, token)
// sum runs in the same order whatever n, so batched and single-token results are identical.
cudaError_t LaunchMatmul(const DeviceMatrix& w, const float* x, int n, float* out,
                         int64_t out_stride, bool accumulate, cudaStream_t stream);

// Up to three products of the same input in one launch (Wq, Wk, Wv; W_gate, W_up): fewer
// launches per token, and the small key/value matrices share the GPU with the query's. The
// matrices must have the same type and columns; their rows are laid end to end over the grid.
struct MatmulTask {
  DeviceMatrix w;
  float* out = nullptr;
  int64_t out_stride = 0;
};
inline constexpr int kMaxMatmulTasks = 3;
cudaError_t LaunchMatmuls(const MatmulTask* tasks, int count, const float* x, int n,
                          cudaStream_t stream);

// out[t][0 .. dim) = row tokens[t] of `embedding`, as floats.
cudaError_t LaunchEmbed(const DeviceMatrix& embedding, const int* tokens, int n, float* out,
                        cudaStream_t stream);

// out[t] = x[t] / rms(x[t]) * weight, rows of `dim` floats.
cudaError_t LaunchRmsNorm(const float* x, const float* weight, int n, int dim, float eps,
                          float* out, cudaStream_t stream);

// RMSNorm of `count` vectors of head_dim floats laid back to back, in place, each scaled by the
// same `weight` (qwen3's QK-norm over every query or key head of a pass).
cudaError_t LaunchHeadRmsNorm(float* vectors, int64_t count, int head_dim, const float* weight,
                              float eps, cudaStream_t stream);

// rows[t * row_stride + i] += bias[i] for t < n, i < width (qwen2's Q, K and V biases).
cudaError_t LaunchAddBias(float* rows, int n, int64_t row_stride, const float* bias, int width,
                          cudaStream_t stream);

// Rotates the first rope_dims of each head of n rows (row t at position start + t). Pairs are
// adjacent values (llama), or with `halves` values rope_dims / 2 apart (qwen2, qwen3).
cudaError_t LaunchRope(float* rows, int64_t row_stride, int n, int heads, int head_dim,
                       int rope_dims, bool halves, const float* rope_table, int start,
                       cudaStream_t stream);

// gate[i] = silu(gate[i]) * up[i] for i < count.
cudaError_t LaunchSwiglu(float* gate, const float* up, int64_t count, cudaStream_t stream);

struct AttentionShape {
  int heads;
  int kv_heads;
  int head_dim;
  int capacity;  // positions per layer in the cache
  int layer;
  int start;   // position of the first token of the pass
  int n;       // tokens in the pass
  int window;  // sliding window (positions a token sees, itself included); 0 for none
};
// Causal attention of n query rows ([n][heads * head_dim]) over the cache's keys and values
// ([layer][capacity][kv_heads * head_dim]); writes out ([n][heads * head_dim]).
cudaError_t LaunchAttention(const AttentionShape& shape, const float* query, const float* keys,
                            const float* values, float* out, cudaStream_t stream);

// Per row of `rows` logit rows ([rows][vocab]): the argmax (lowest index among equals), the
// largest logit and log(sum(exp(logits))), so a token's logprob is logit - log_sum_exp.
struct RowSummary {
  int argmax;
  float max;
  float log_sum_exp;
};
cudaError_t LaunchRowSummaries(const float* logits, int rows, int vocab, RowSummary* out,
                               cudaStream_t stream);

// Fills `count` halves with uniform values in [-scale, scale) from stream `seed`
// (HashUniform), for random models made in GPU memory.
cudaError_t LaunchRandomHalves(void* out, int64_t count, uint64_t seed, float scale,
                               cudaStream_t stream);
// Fills `count` floats with `value`.
cudaError_t LaunchFill(float* out, int64_t count, float value, cudaStream_t stream);

}  // namespace cascade::engine::cuda
