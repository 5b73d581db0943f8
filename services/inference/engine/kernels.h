// The inner loops: matrix-vector products per weight type, plus the two vector operations
// attention needs. One portable scalar set, and AVX2 and AVX-512 sets picked at run time when
// the CPU has those instructions (the rest of the build stays generic x86-64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/inference/engine/k_quants.h"
#include "services/inference/engine/tensor_type.h"

namespace cascade::engine {

// A 2-D weight tensor: `rows` rows of `cols` elements, row-major, used in place (usually in the
// memory-mapped file).
struct Matrix {
  TensorType type = TensorType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;
  // The same weights in the layout the kernel set's `pack` writes, where the model made one
  // (Model::Load, with the best kernel set): its matmul reads that instead.
  const uint8_t* packed = nullptr;

  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

// A batch's activations rounded once for the matmuls that take integer products: rounding
// them once per input, not in every thread's chunk of every product that shares the input,
// saved about a tenth of a batched step's matmul time.
struct QuantizedActivations {
  // Q8_0's form, for the VNNI matmul of packed weights (kernels_vnni.cc): the 8-bit values,
  // each block's scale, and each block's starting sum (-128 times the sum of its values).
  std::vector<int8_t> values;   // [n_tokens][cols]
  std::vector<float> scales;    // [n_tokens][cols / 32]
  std::vector<int32_t> starts;  // [n_tokens][cols / 32]
  // Q8_K's, for the K-quants (k_quants.h): [n_tokens][cols / 256].
  std::vector<BlockQ8_K> q8_k;
  // Which forms hold the current input; clear both for a new one.
  bool has_q8_0 = false;
  bool has_q8_k = false;
};

struct Kernels {
  absl::string_view name;
  // For each of n_tokens inputs x[t] (rows of w.cols floats, back to back) and each weight row
  // r in [row_begin, row_end): out[t * out_stride + r] = w.row(r) . x[t]. The token loop is
  // inside the row loop, so a batch reads each weight row from memory once. Each dot product
  // is computed the same way whatever the batch size, so batched and one-at-a-time results
  // are bit-identical.
  void (*matmul)(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x, int n_tokens,
                 float* out, int64_t out_stride);
  float (*dot)(const float* a, const float* b, int64_t n);
  void (*add_scaled)(float* y, const float* x, float scale, int64_t n);  // y += scale * x
  // Attention's inner loops, one query head against n cached positions. scores: out[p] =
  // scale * dot(q, keys + p * stride, dim). weighted_sum: out = sum over p of weights[p] *
  // values[p * stride .. + dim), accumulated in p order. Each gives the bits of the dot and
  // add_scaled calls it replaces (from a zeroed out); the AVX-512 set keeps q and out in
  // registers for head widths up to 128.
  void (*scores)(const float* q, const float* keys, int64_t stride, int n, int64_t dim, float scale,
                 float* out);
  void (*weighted_sum)(const float* weights, const float* values, int64_t stride, int n,
                       int64_t dim, float* out);
  // Optional (nullptr: every type is read in place). Writes a copy of w's weights in a layout
  // this set's matmul reads faster and returns true, or returns false when it has none for w.
  // The matmul then needs row_begin and row_end to be multiples of 16.
  bool (*pack)(const Matrix& w, std::vector<uint8_t>& out);
  // Optional (nullptr: none). `quantize` puts n_tokens inputs of w.cols floats into `out` in
  // the form w's matmul rounds them to, unless `out` holds that form already, and returns
  // true; false (nothing written) when w's matmul reads floats. `matmul_quantized` is then
  // `matmul` reading `out`, with the same bits.
  bool (*quantize)(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out);
  void (*matmul_quantized)(const Matrix& w, int64_t row_begin, int64_t row_end,
                           const QuantizedActivations& x, int n_tokens, float* out,
                           int64_t out_stride);
};

// The matmul of the K-quants, shared by the kernel sets: each token's activations quantized
// to Q8_K once, then integer dot products per row (k_quants.h). Batched and one-at-a-time
// results are identical, as for the other types.
// `avx2`: take the AVX2 dot products (the AVX2 and AVX-512 sets do).
void MatmulKQuant(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x, int n_tokens,
                  float* out, int64_t out_stride, bool avx2);
// The same from activations rounded already: QuantizeForKQuant's form, [n_tokens][cols / 256].
void MatmulKQuantRounded(const Matrix& w, int64_t row_begin, int64_t row_end, const BlockQ8_K* x,
                         int n_tokens, float* out, int64_t out_stride, bool avx2);
// Kernels::quantize for the K-quants: false for any other w; rounds with `quantize_row`
// (QuantizeRowQ8_K or its AVX-512 twin, the same bits).
bool QuantizeForKQuant(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out,
                       void (*quantize_row)(const float*, int64_t, BlockQ8_K*));
// The AVX-512 set's (kernels_k_quants_avx512.cc): 64 weights per instruction, tiles of rows by
// tokens, float accumulation across super-blocks (so its last bits differ from the others').
void MatmulKQuantAvx512(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x,
                        int n_tokens, float* out, int64_t out_stride);
void MatmulKQuantAvx512Rounded(const Matrix& w, int64_t row_begin, int64_t row_end,
                               const BlockQ8_K* x, int n_tokens, float* out, int64_t out_stride);

// Q8_0 and Q5_0 with AVX-512 VNNI (kernels_vnni.cc): 8-bit activations times weights repacked 16
// rows side by side. The AVX-512 VNNI set packs Q8_0 and Q5_0 matrices of a multiple of 16
// rows this way (not Q4_0, which would double in size). The matmul needs a CPU with AVX-512
// VNNI (Avx512VnniKernels() not nullptr).
bool PackForVnni(const Matrix& w, std::vector<uint8_t>& out);
void MatmulPackedVnni(const Matrix& w, int64_t row_begin, int64_t row_end, const float* x,
                      int n_tokens, float* out, int64_t out_stride);
bool QuantizeForVnni(const Matrix& w, const float* x, int n_tokens, QuantizedActivations& out);
void MatmulQuantizedVnni(const Matrix& w, int64_t row_begin, int64_t row_end,
                         const QuantizedActivations& x, int n_tokens, float* out,
                         int64_t out_stride);

const Kernels& ScalarKernels();
// nullptr when this CPU lacks AVX2, FMA or F16C.
const Kernels* Avx2Kernels();
// nullptr when this CPU lacks AVX-512 F/BW/VL/DQ (or FMA, F16C).
const Kernels* Avx512Kernels();
// The AVX-512 set plus `pack` for Q8_0 and Q5_0 (kernels_vnni.cc); nullptr without AVX-512
// VNNI.
const Kernels* Avx512VnniKernels();
// The fastest set this CPU supports. CASCADE_KERNELS=avx512, =avx2 or =scalar in the
// environment caps the choice (for comparisons and tests).
const Kernels& BestKernels();

}  // namespace cascade::engine
