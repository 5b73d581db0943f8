// One conversation's state on a model on the CPU: its KV cache and the transformer's scratch
// buffers, all allocated up front so that decoding a token allocates nothing.
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
#include "services/inference/engine/kv_cache.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/thread_pool.h"
#include "services/inference/engine/transformer.h"

namespace cascade::engine {

class Session : public ForwardPass {
 public:
  // Tokens per pass; longer inputs are processed in chunks of this size.
  static constexpr int kMaxBatch = Transformer::kMaxBatch;

  // `pool` must outlive the session. `context_length` 0 means the model's own.
  Session(std::shared_ptr<const Model> model, ThreadPool& pool, int context_length = 0);

  const Model& model() const { return transformer_.model(); }
  const std::shared_ptr<const Model>& shared_model() const { return transformer_.shared_model(); }
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
  void set_kernels(const Kernels& kernels) { transformer_.set_kernels(kernels); }

 private:
  int vocab_size_;
  int capacity_;
  Transformer transformer_;
  KvCache cache_;
  std::vector<BatchToken> batch_;
  std::vector<float> logits_;  // [kMaxBatch][vocab]
};

}  // namespace cascade::engine
