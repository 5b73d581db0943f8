// The CPU forward pass of a batch of tokens. Each token sits at the next free position of its
// own KV cache, so one batch can hold a single conversation's prompt (consecutive positions of
// one cache), the k draft tokens being verified, or one token from each of many conversations
// (continuous batching). The batch shares every matrix product: each weight row is read once
// for all of its tokens. Attention is per token, against its own cache.
//
// A token's result does not depend on what else is in the batch: the kernels compute each
// (row, token) product the same way for any batch size, and everything else is per token.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "services/inference/engine/kernels.h"
#include "services/inference/engine/kv_cache.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::engine {

struct BatchToken {
  int token = 0;              // a valid id of the model's vocabulary
  KvCache* cache = nullptr;   // whose next free position the token takes
  bool wants_logits = false;  // whether the logits after this token are needed
};

class Transformer {
 public:
  // Tokens per Forward.
  static constexpr int kMaxBatch = 64;

  // `pool` must outlive the transformer; no cache it runs may hold more than `max_context`
  // positions.
  Transformer(std::shared_ptr<const Model> model, ThreadPool& pool, int max_context);

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }

  // A cache with room for `context_length` positions of this model.
  KvCache NewCache(int context_length) const;

  // Runs at most kMaxBatch tokens. Tokens of one cache take its positions in batch order, and
  // each cache grows by its number of tokens. The logits after each token that wants them go
  // to consecutive rows of `logits` (vocab_size floats each), in batch order. The caller has
  // checked the ids and that every cache has room.
  void Forward(std::span<const BatchToken> batch, float* logits);

  // For tests: run on these kernels instead of the best ones for this CPU.
  void set_kernels(const Kernels& kernels) { kernels_ = &kernels; }

 private:
  struct MatmulTask {
    const Matrix* weights;
    float* out;
    int64_t out_stride;
  };

  void Attention(std::span<const BatchToken> batch, int layer);
  // Runs several products of the same input (at most kMostMatmulTasks), split across threads
  // as one job.
  static constexpr size_t kMostMatmulTasks = 3;
  void Matmuls(std::initializer_list<MatmulTask> tasks, const float* x, int n);

  std::shared_ptr<const Model> model_;
  const ModelConfig& config_;
  ThreadPool& pool_;
  const Kernels* kernels_;
  int max_context_;
  std::vector<int> positions_;  // of each batch token in its cache
  // Activations, [kMaxBatch][width] each.
  std::vector<float> residual_;   // x, the residual stream
  std::vector<float> normed_;     // RMSNorm(x), the input of each block
  std::vector<float> block_out_;  // output projection of a block, before it is added to x
  std::vector<float> query_;
  std::vector<float> key_;  // this pass's keys and values, before they go to the caches
  std::vector<float> value_;
  std::vector<float> attention_;
  std::vector<float> gate_;
  std::vector<float> up_;
  std::vector<float> scores_;       // attention weights, [threads][max_context]
  QuantizedActivations quantized_;  // the input of Matmuls, rounded once where kernels round it
};

}  // namespace cascade::engine
