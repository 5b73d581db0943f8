// A model's weights in GPU memory: uploaded from a loaded Model (F16 as is, Q8_0 split into
// aligned quants and scales, any other type widened to F16), or random F16 weights generated on the
// GPU itself for the benchmark's 1B and 7B shapes (no host copy of 13 GB). Immutable once built;
// sessions share it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/cuda/device_buffer.h"
#include "services/inference/engine/cuda/kernels.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/model_config.h"

namespace cascade::engine::cuda {

struct DeviceLayer {
  const float* attention_norm = nullptr;  // [dim]
  DeviceMatrix query, key, value, attention_output;
  const float* ffn_norm = nullptr;  // [dim]
  DeviceMatrix gate, up, down;
  // As LayerWeights: qwen2's biases, qwen3's QK-norm weights; null where the model has none.
  const float* query_bias = nullptr;  // [q_dim]
  const float* key_bias = nullptr;    // [kv_dim]
  const float* value_bias = nullptr;  // [kv_dim]
  const float* query_norm = nullptr;  // [head_dim]
  const float* key_norm = nullptr;    // [head_dim]
};

// OK when the model's weights can go to the GPU: rows a multiple of 8 elements, head_dim <=
// 256. Otherwise FailedPrecondition saying what the file has.
absl::Status CheckDeviceWeights(const Model& model);

// Q8_0 as the GPU holds it: GGUF's 34-byte blocks split into `quants` ([rows][cols] int8) and
// `scales` ([rows][cols / 32] float16 bits), addressed by Q8QuantIndex / Q8ScaleIndex.
void SplitQ8_0(const Matrix& matrix, int8_t* quants, uint16_t* scales);

// The GPU has kernels for F16 and Q8_0 only. A matrix of any other type (F32, Q4_0 to Q5_1, the
// K-quants) goes up as F16: each row dequantised as the CPU does and rounded to half precision
// (a relative error under 2^-11, far below the quantisation's own), `out` [rows][cols]. It
// runs, at F16's memory and speed rather than the file's.
void WidenToF16(const Matrix& matrix, uint16_t* out);

// How the upload will hold the model's matrices, for the model_loaded log line: "as stored" or
// which types are widened and what that costs in GPU memory.
std::string DescribeDeviceWeights(const Model& model);

class DeviceWeights {
 public:
  static absl::StatusOr<std::shared_ptr<const DeviceWeights>> Upload(const Model& model);
  // Weights uniform in +-1/sqrt(cols) (embedding +-1), norms 1, from `seed`, made in place.
  // Architecture llama only (the benchmark's shapes).
  static absl::StatusOr<std::shared_ptr<const DeviceWeights>> RandomF16(const ModelConfig& config,
                                                                        uint64_t seed);

  const ModelConfig& config() const { return config_; }
  const DeviceMatrix& embedding() const { return embedding_; }
  const DeviceMatrix& classifier() const { return classifier_; }
  const std::vector<DeviceLayer>& layers() const { return layers_; }
  const float* output_norm() const { return output_norm_; }
  // [context_length][rope_dims / 2] pairs of (cos, sin), as Model::rope_table (rope.h).
  const float* rope_table() const { return rope_table_; }

  // Bytes of weights one decode step reads: every matrix once, but one row of the embedding
  // (unless it is also the classifier). Bandwidth = this x tokens/s.
  int64_t bytes_per_token() const;

 private:
  DeviceWeights() = default;
  absl::StatusOr<DeviceMatrix> AddMatrix(const Matrix& matrix);
  absl::StatusOr<DeviceMatrix> AddRandomMatrix(int64_t rows, int64_t cols, uint64_t seed,
                                               float scale);
  absl::StatusOr<const float*> AddFloats(const float* data, size_t count);
  absl::StatusOr<const float*> AddOnes(size_t count);

  ModelConfig config_;
  DeviceMatrix embedding_;
  DeviceMatrix classifier_;
  std::vector<DeviceLayer> layers_;
  const float* output_norm_ = nullptr;
  const float* rope_table_ = nullptr;
  bool tied_ = false;
  std::vector<DeviceBuffer> buffers_;  // owns everything above
};

}  // namespace cascade::engine::cuda
