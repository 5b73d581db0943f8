// One conversation's state on a model: the KV cache and the scratch buffers of the forward
// pass, all allocated up front so that decoding a token allocates nothing.
//
// Forward() runs a batch of tokens through the transformer at the next positions. With one
// token it is the decode step; with many it is prefill, or the verification of k draft tokens
// in one pass: every weight row is read once for the whole batch.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "services/inference/engine/forward_pass.h"
#include "services/inference/engine/kernels.h"
#include "services/inference/engine/kv_cache.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::engine {

class Session : public ForwardPass {
 public:
  // Tokens per pass; longer inputs are processed in chunks of this size.
  static constexpr int kMaxBatch = 64;

  // `pool` must outlive the session. `context_length` 0 means the model's own.
  Session(std::shared_ptr<const Model> model, ThreadPool& pool, int context_length = 0);

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }
  int position() const override { return cache_.size(); }  // tokens in the KV cache
  int context_length() const override { return cache_.capacity(); }

  // Appends `tokens` at positions position() .. position() + n - 1 and computes the logits that
  // follow each of the last `logit_rows` of them (logit_rows <= min(n, kMaxBatch)). Row i of
  // logits() belongs to token n - logit_rows + i.
  absl::Status Forward(std::span<const int> tokens, int logit_rows) override;
  std::span<const float> logits(int row) const override {
    return {logits_.data() + static_cast<size_t>(row) * vocab_size_,
            static_cast<size_t>(vocab_size_)};
  }

  // Rolls the cache back so that only the first `position` tokens remain.
  void Truncate(int position) override { cache_.Truncate(position); }

  // For tests: run on these kernels instead of the best ones for this CPU.
  void set_kernels(const Kernels& kernels) { kernels_ = &kernels; }

 private:
  struct MatmulTask {
    const Matrix* weights;
    float* out;
    int64_t out_stride;
  };

  // Runs one chunk of at most kMaxBatch tokens; `logit_from` is the first index within the chunk
  // that needs logits, written to rows starting at `first_logit_row`.
  void ForwardChunk(std::span<const int> tokens, int logit_from, int first_logit_row);
  void Attention(int layer, int start, int n);
  // Runs several products of the same input, split across threads as one job.
  void Matmuls(std::initializer_list<MatmulTask> tasks, const float* x, int n);

  std::shared_ptr<const Model> model_;
  const ModelConfig& config_;
  ThreadPool& pool_;
  const Kernels* kernels_;
  int vocab_size_;
  KvCache cache_;
  // Activations, [kMaxBatch][width] each.
  std::vector<float> residual_;   // x, the residual stream
  std::vector<float> normed_;     // RMSNorm(x), the input of each block
  std::vector<float> block_out_;  // output projection of a block, before it is added to x
  std::vector<float> query_;
  std::vector<float> attention_;
  std::vector<float> gate_;
  std::vector<float> up_;
  std::vector<float> scores_;  // attention weights, [threads][context_length]
  std::vector<float> logits_;  // [kMaxBatch][vocab]
};

}  // namespace cascade::engine
