// The hyperparameters of a decoder-only transformer of the Llama family, and the few ways the
// supported architectures differ (`Architecture`): where the attention block has biases or
// normalises heads, and which values RoPE pairs up.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/gguf.h"

namespace cascade::engine {

// general.architecture. Everything else about the block is the same: RMSNorm, RoPE,
// grouped-query attention, SwiGLU.
enum class Architecture {
  kLlama,  // Llama 2/3, Mistral-style files
  kQwen2,  // Qwen 2 / 2.5: biases on the Q, K and V projections
  kQwen3,  // Qwen 3: RMSNorm over each query and key head before RoPE; head_dim may differ
};

// Which two values of a head RoPE rotates together as pair i (of rope_dims / 2 pairs).
enum class RopeStyle {
  kAdjacentPairs,  // (2i, 2i + 1): llama
  kHalves,         // (i, i + rope_dims / 2): GPT-NeoX style, qwen2 and qwen3
};

absl::string_view ArchitectureName(Architecture architecture);  // as general.architecture
// "llama, qwen2, qwen3", for messages.
std::string SupportedArchitectures();

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
  Architecture architecture = Architecture::kLlama;
  // Linear RoPE scaling (rope.scaling.type = linear): positions are multiplied by this, the
  // inverse of rope.scaling.factor. 1 for none.
  float rope_position_scale = 1.0f;
  // ARCH.attention.sliding_window: each token attends to at most this many positions, itself
  // included, in every layer. 0 for none (every earlier position).
  int sliding_window = 0;

  int q_dim() const { return heads * head_dim; }
  int kv_dim() const { return kv_heads * head_dim; }
  bool has_qkv_bias() const { return architecture == Architecture::kQwen2; }
  bool has_qk_norm() const { return architecture == Architecture::kQwen3; }
  // The first position the token at `position` attends to (0 without a sliding window).
  int FirstAttendedPosition(int position) const {
    return sliding_window > 0 && position >= sliding_window ? position + 1 - sliding_window : 0;
  }
  RopeStyle rope_style() const {
    return architecture == Architecture::kLlama ? RopeStyle::kAdjacentPairs : RopeStyle::kHalves;
  }
  // Checks the numbers fit together (heads divide, sizes positive and sane).
  absl::Status Validate() const;
  std::string ToString() const;
};

// Reads `ARCH.*` metadata for the file's general.architecture (llama, qwen2, qwen3); any other
// architecture, and RoPE scaling other than none or linear, is refused saying what is supported.
// `vocab_size` comes from the tokenizer and is filled in by the caller.
absl::StatusOr<ModelConfig> ModelConfigFromGguf(const GgufFile& file);

}  // namespace cascade::engine
