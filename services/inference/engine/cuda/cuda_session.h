// The forward pass on a CUDA GPU: the CPU Session's algorithm (session.cc) with the KV cache,
// activations and logits in GPU memory. After each Forward only the per-row argmax and
// log-sum-exp come back to the host (12 bytes a row); logits(row) copies a whole row the first
// time it is asked for (sampling needs the distribution). One CUDA stream per session; Forward
// returns when the GPU is done, with any CUDA error as its status.
#pragma once

#include <cuda_runtime.h>

#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/cuda/device_buffer.h"
#include "services/inference/engine/cuda/device_weights.h"
#include "services/inference/engine/forward_pass.h"

namespace cascade::engine::cuda {

class CudaSession : public ForwardPass {
 public:
  static constexpr int kMaxBatch = 64;  // tokens per pass, as the CPU Session

  // `context_length` 0 means the model's; larger is clamped to it.
  static absl::StatusOr<std::unique_ptr<CudaSession>> Create(
      std::shared_ptr<const DeviceWeights> weights, int context_length = 0);
  ~CudaSession() override;
  CudaSession(const CudaSession&) = delete;
  CudaSession& operator=(const CudaSession&) = delete;

  int position() const override { return size_; }
  int context_length() const override { return capacity_; }
  absl::Status Forward(std::span<const int> tokens, int logit_rows) override;
  // A failed copy (the device lost) gives NaNs; the next Forward reports the error.
  std::span<const float> logits(int row) const override;
  int ArgmaxRow(int row) const override { return summaries_[row].argmax; }
  // log(sum(exp(logits(row)))), computed on the GPU: logprob(token) = logit - this.
  float LogSumExp(int row) const { return summaries_[row].log_sum_exp; }
  void Truncate(int position) override {
    if (position < size_) size_ = position < 0 ? 0 : position;
  }

  const DeviceWeights& weights() const { return *weights_; }

 private:
  CudaSession(std::shared_ptr<const DeviceWeights> weights, int capacity);
  absl::Status Allocate();
  absl::Status ForwardChunk(std::span<const int> tokens, int logit_from, int first_logit_row);

  std::shared_ptr<const DeviceWeights> weights_;
  const ModelConfig& config_;
  int capacity_;
  int vocab_;
  int size_ = 0;
  cudaStream_t stream_ = nullptr;
  DeviceBuffer tokens_;            // [kMaxBatch] ids
  DeviceBuffer residual_;          // [kMaxBatch][dim]
  DeviceBuffer normed_;            // [kMaxBatch][dim]
  DeviceBuffer query_;             // [kMaxBatch][q_dim]
  DeviceBuffer attention_;         // [kMaxBatch][q_dim]
  DeviceBuffer gate_;              // [kMaxBatch][ffn_dim]
  DeviceBuffer up_;                // [kMaxBatch][ffn_dim]
  DeviceBuffer logits_;            // [kMaxBatch][vocab]
  DeviceBuffer keys_;              // [layers][capacity][kv_dim]
  DeviceBuffer values_;            // [layers][capacity][kv_dim]
  DeviceBuffer summaries_device_;  // [kMaxBatch] RowSummary
  std::vector<RowSummary> summaries_;
  int logit_rows_ = 0;
  mutable std::vector<float> host_logits_;  // rows copied on demand
  mutable std::vector<bool> fetched_;
  mutable absl::Status copy_status_;
};

}  // namespace cascade::engine::cuda
