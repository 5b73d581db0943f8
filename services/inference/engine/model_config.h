// The hyperparameters of a Llama-architecture model.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/inference/engine/gguf.h"

namespace cascade::engine {

struct ModelConfig {
  int dim = 0;  // width of the residual stream
  int layers = 0;
  int heads = 0;     // query heads
  int kv_heads = 0;  // key/value heads; heads / kv_heads query heads share each
  int head_dim = 0;
  int ffn_dim = 0;  // hidden width of the SwiGLU feed-forward block
  int vocab_size = 0;
  int context_length = 0;  // positions the model was trained for; the KV cache holds this many
  int rope_dims = 0;       // leading dimensions of each head that RoPE rotates
  float rope_theta = 10000.0f;
  float norm_eps = 1e-5f;

  int q_dim() const { return heads * head_dim; }
  int kv_dim() const { return kv_heads * head_dim; }
  // Checks the numbers fit together (heads divide, sizes positive and sane).
  absl::Status Validate() const;
  std::string ToString() const;
};

// Reads `llama.*` metadata; any architecture but `llama` is refused with the supported list.
// `vocab_size` comes from the tokenizer and is filled in by the caller.
absl::StatusOr<ModelConfig> ModelConfigFromGguf(const GgufFile& file);

}  // namespace cascade::engine
