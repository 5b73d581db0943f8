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
  const auto dot = avx2 ? DotKQuantQ8_KAvx2 : DotKQuantQ8_K;
  const int64_t blocks = w.cols / kSuperBlock;
  const BlockQ8_K* activations = QuantizeActivations(x, n_tokens, w.cols, QuantizeRowQ8_K);
  for (int64_t r = row_begin; r < row_end; ++r) {
    for (int t = 0; t < n_tokens; ++t) {
      out[t * out_stride + r] = dot(w.type, w.row(r), activations + t * blocks, blocks);
    }
  }
}

}  // namespace cascade::engine
