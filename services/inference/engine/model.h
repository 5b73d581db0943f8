// A loaded model of the Llama family (llama, qwen2, qwen3): hyperparameters, weights and tokenizer.
// Immutable once loaded, so one Model can be shared (std::shared_ptr<const Model>) by any number of
// sessions on any threads; each Session holds its own KV cache.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inference/engine/gguf.h"
#include "services/inference/engine/kernels.h"
#include "services/inference/engine/model_config.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::engine {

struct LayerWeights {
  std::vector<float> attention_norm;  // [dim]
  Matrix query;                       // [q_dim rows][dim]
  Matrix key;                         // [kv_dim][dim]
  Matrix value;                       // [kv_dim][dim]
  Matrix attention_output;            // [dim][q_dim]
  std::vector<float> ffn_norm;        // [dim]
  Matrix gate;                        // [ffn_dim][dim]
  Matrix up;                          // [ffn_dim][dim]
  Matrix down;                        // [dim][ffn_dim]
  // qwen2 only (config.has_qkv_bias()): added to the Q, K and V projections.
  std::vector<float> query_bias;  // [q_dim]
  std::vector<float> key_bias;    // [kv_dim]
  std::vector<float> value_bias;  // [kv_dim]
  // qwen3 only (config.has_qk_norm()): RMSNorm weights of each query and key head.
  std::vector<float> query_norm;  // [head_dim]
  std::vector<float> key_norm;    // [head_dim]
};

struct ModelLoadOptions {
  // Copies the matrices into the CPU kernels' faster layout where they have one (Kernels::pack:
  // Q8_0 and Q5_0 with AVX-512 VNNI), at the cost of that much memory (the file's pages for
  // them are given back). Off for a model served on a GPU.
  bool pack_for_cpu = true;
};

class Model {
 public:
  // Loads a GGUF file (architecture llama, qwen2 or qwen3; F32/F16/Q8_0/Q4_0 weights).
  static absl::StatusOr<std::shared_ptr<const Model>> Load(const std::string& path,
                                                           const ModelLoadOptions& options = {});
  // Loads a llama2.c checkpoint with the tokenizer.bin that goes with it.
  static absl::StatusOr<std::shared_ptr<const Model>> LoadLlama2c(
      const std::string& checkpoint_path, const std::string& tokenizer_path);

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  const ModelConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  TensorType weight_type() const { return layers_.front().query.type; }

  const Matrix& token_embedding() const { return token_embedding_; }  // [vocab][dim]
  const std::vector<LayerWeights>& layers() const { return layers_; }
  const std::vector<float>& output_norm() const { return output_norm_; }
  // The classifier: output.weight, or the token embedding when the two are tied.
  const Matrix& classifier() const { return classifier_; }
  bool tied_classifier() const { return classifier_.data == token_embedding_.data; }

  // RoPE rotations, [context_length][rope_dims / 2] pairs of (cos, sin), computed once
  // (rope.h, RopeTable; with the file's rope_freqs.weight where it has one).
  const float* rope_table(int position) const {
    return rope_table_.data() + static_cast<size_t>(position) * config_.rope_dims;
  }

  void EmbedToken(int token, float* out) const;

  // Memory held by the packed copies of the matrices (ModelLoadOptions::pack_for_cpu).
  size_t packed_bytes() const { return packed_bytes_; }

 private:
  friend class ModelBuilder;
  Model() = default;

  std::string name_;
  std::string path_;
  ModelConfig config_;
  std::unique_ptr<Tokenizer> tokenizer_;
  Matrix token_embedding_;
  Matrix classifier_;
  std::vector<float> output_norm_;
  std::vector<LayerWeights> layers_;
  std::vector<float> rope_table_;
  // Keep the bytes the matrices point into alive: the file mapping, and copies where the
  // file's layout could not be used in place.
  std::shared_ptr<const MappedFile> mapping_;
  std::vector<std::vector<uint8_t>> owned_;
  size_t packed_bytes_ = 0;
};

}  // namespace cascade::engine
