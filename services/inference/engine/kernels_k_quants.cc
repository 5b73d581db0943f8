// The K-quants' matmul, shared by every kernel set (kernels.h): integer dot products against
// Q8_K activations, as llama.cpp computes them.
#include <vector>

#include "services/inference/engine/k_quants.h"
#include "services/inference/engine/kernels.h"

namespace cascade::engine {

const BlockQ8_K* QuantizeActivations(const float* x, int n_tokens, int64_t cols,
                                     void (*quantize)(const float*, int64_t, BlockQ8_K*)) {
  const int64_t blocks = cols / kSuperBlock;
  thread_local std::vector<BlockQ8_K> activations;
  activations.resize(static_cast<size_t>(blocks) * n_tokens);
  for (int t = 0; t < n_tokens; ++t) quantize(x + t * cols, cols, activations.data() + t * blocks);
  return activations.data();
}

void MatmulKQuant(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x, int n_tokens,
                  float* out, int64_t out_stride, bool avx2) {
  const BlockQ8_K* activations = QuantizeActivations(x, n_tokens, w.cols, QuantizeRowQ8_K);
  MatmulKQuantRounded(w, row_begin, row_end, activations, n_tokens, out, out_stride, avx2);
}

void MatmulKQuantRounded(const Matrix& w, int64_t row_begin, int64_t row_end, const BlockQ8_K* x,
                         int n_tokens, float* out, int64_t out_stride, bool avx2) {
  const auto dot = avx2 ? DotKQuantQ8_KAvx2 : DotKQuantQ8_K;
  const int64_t blocks = w.cols / kSuperBlock;
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int t = 0; t < n_tokens; ++t) {
      out[t * out_stride + r] = dot(w.type, w.row(r), x + t * blocks, blocks);
    }
  }
}

bool QuantizeForKQuant(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out,
                       void (*quantize_row)(const float*, int64_t, BlockQ8_K*)) {
  if (!IsKQuant(w.type)) return false;
  if (out.has_q8_k) return true;
  const int64_t blocks = w.cols / kSuperBlock;
  out.q8_k.resize(static_cast<size_t>(blocks) * n_tokens);
  for (int t = 0; t < n_tokens; ++t) quantize_row(x + t * w.cols, w.cols, &out.q8_k[t * blocks]);
  out.has_q8_k = true;
  return true;
}

}  // namespace cascade::engine
