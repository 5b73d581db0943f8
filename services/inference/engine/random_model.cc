#include "services/inference/engine/random_model.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/inference/engine/quantize.h"
#include "services/inference/engine/rng.h"
#include "services/inference/engine/rope.h"

namespace cascade::engine {
namespace {

TokenizerVocab SyntheticVocab(int size) {
  TokenizerVocab vocab;
  vocab.tokens = {"<unk>", "<s>", "</s>"};
  vocab.kinds = {TokenKind::kUnknown, TokenKind::kControl, TokenKind::kControl};
  for (int byte = 0; byte < 256; ++byte) {
    vocab.tokens.push_back(absl::StrFormat("<0x%02X>", byte));
    vocab.kinds.push_back(TokenKind::kByte);
  }
  for (int i = 0; static_cast<int>(vocab.tokens.size()) < size; ++i) {
    vocab.tokens.push_back(absl::StrCat("\xE2\x96\x81t", i));  // "▁t0", "▁t1", ...
    vocab.kinds.push_back(TokenKind::kNormal);
  }
  vocab.tokens.resize(size);
  vocab.kinds.resize(size);
  vocab.scores.assign(size, 0.0f);
  for (int i = 0; i < size; ++i) vocab.scores[i] = -static_cast<float>(i);
  return vocab;
}

// A standard normal sample from two uniforms (Box-Muller).
float Gaussian(Rng& rng) {
  const double u1 = 1.0 - rng.Uniform();  // in (0, 1], safe for log
  const double u2 = rng.Uniform();
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

}  // namespace

absl::Status WriteTokenizer(const TokenizerVocab& vocab, GgufWriter& out) {
  const bool byte_level = vocab.model == TokenizerModel::kByteLevelBpe;
  out.SetMetadata("tokenizer.ggml.model", GgufString(byte_level ? "gpt2" : "llama"));
  out.SetMetadata("tokenizer.ggml.tokens", GgufStringArray(vocab.tokens));
  if (byte_level) {
    out.SetMetadata("tokenizer.ggml.pre", GgufString(std::string(PreTokenizerGgufName(vocab.pre))));
    out.SetMetadata("tokenizer.ggml.merges", GgufStringArray(vocab.merges));
  } else {
    std::vector<float> scores = vocab.scores;
    scores.resize(vocab.tokens.size(), 0.0f);
    out.SetMetadata("tokenizer.ggml.scores", GgufFloat32Array(scores));
  }
  std::vector<int32_t> kinds;
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    kinds.push_back(
        static_cast<int32_t>(i < vocab.kinds.size() ? vocab.kinds[i] : TokenKind::kNormal));
  }
  out.SetMetadata("tokenizer.ggml.token_type", GgufInt32Array(kinds));
  auto id = [&](absl::string_view key, int value) {
    if (value >= 0) out.SetMetadata(std::string(key), GgufUint32(value));
  };
  id("tokenizer.ggml.unknown_token_id", vocab.unknown_id);
  id("tokenizer.ggml.bos_token_id", vocab.bos_id);
  id("tokenizer.ggml.eos_token_id", vocab.eos_id);
  id("tokenizer.ggml.eot_token_id", vocab.eot_id);
  id("tokenizer.ggml.eom_token_id", vocab.eom_id);
  out.SetMetadata("tokenizer.ggml.add_bos_token", GgufBool(vocab.add_bos));
  if (!byte_level) {
    out.SetMetadata("tokenizer.ggml.add_space_prefix", GgufBool(vocab.add_space_prefix));
  }
  return absl::OkStatus();
}

absl::Status WriteRandomModel(const RandomModelSpec& spec, GgufWriter& out) {
  ModelConfig c = spec.config;
  const TokenizerVocab vocab = spec.vocab != nullptr ? *spec.vocab : SyntheticVocab(c.vocab_size);
  c.vocab_size = static_cast<int>(vocab.tokens.size());
  const int default_head_dim = c.heads > 0 ? c.dim / c.heads : 0;
  if (c.head_dim == 0) c.head_dim = default_head_dim;
  if (c.rope_dims == 0) c.rope_dims = c.head_dim;
  if (auto status = c.Validate(); !status.ok()) return status;
  if (spec.llama3_rope_scaling && c.architecture != Architecture::kLlama) {
    return absl::InvalidArgumentError(
        absl::StrCat("Llama 3.1 rope scaling (rope_freqs.weight) is for architecture llama, not ",
                     ArchitectureName(c.architecture)));
  }

  const std::string arch(ArchitectureName(c.architecture));
  const std::string p = arch + ".";  // hyperparameters are keyed by the architecture
  out.SetMetadata("general.architecture", GgufString(arch));
  out.SetMetadata("general.name", GgufString(spec.name));
  out.SetAlignment(32);
  out.SetMetadata("general.file_type", GgufUint32(FileTypeFor(spec.type)));
  out.SetMetadata(p + "context_length", GgufUint32(c.context_length));
  out.SetMetadata(p + "embedding_length", GgufUint32(c.dim));
  out.SetMetadata(p + "block_count", GgufUint32(c.layers));
  out.SetMetadata(p + "feed_forward_length", GgufUint32(c.ffn_dim));
  out.SetMetadata(p + "rope.dimension_count", GgufUint32(c.rope_dims));
  out.SetMetadata(p + "attention.head_count", GgufUint32(c.heads));
  out.SetMetadata(p + "attention.head_count_kv", GgufUint32(c.kv_heads));
  if (c.head_dim != default_head_dim) {
    out.SetMetadata(p + "attention.key_length", GgufUint32(c.head_dim));
    out.SetMetadata(p + "attention.value_length", GgufUint32(c.head_dim));
  }
  out.SetMetadata(p + "attention.layer_norm_rms_epsilon", GgufFloat32(c.norm_eps));
  out.SetMetadata(p + "rope.freq_base", GgufFloat32(c.rope_theta));
  if (c.rope_position_scale != 1.0f) {
    out.SetMetadata(p + "rope.scaling.type", GgufString("linear"));
    out.SetMetadata(p + "rope.scaling.factor", GgufFloat32(1.0f / c.rope_position_scale));
  }
  if (c.sliding_window > 0) {
    out.SetMetadata(p + "attention.sliding_window", GgufUint32(c.sliding_window));
  }
  if (auto s = WriteTokenizer(vocab, out); !s.ok()) return s;
  if (!spec.chat_template.empty()) {
    out.SetMetadata("tokenizer.chat_template", GgufString(spec.chat_template));
  }

  Rng rng(spec.seed);
  std::vector<float> row;
  enum class Fill {
    kWeights,   // a matrix in spec.type, N(0, 0.02^2)
    kQueryKey,  // Wq or Wk in spec.type, N(0, 1 / dim): attention scores of about unit size
    kOnes,      // an F32 norm weight vector of ones
    kNearOnes,  // an F32 norm weight vector, 1 + N(0, 0.1^2)
    kBias,      // an F32 vector, N(0, 0.1^2)
  };
  const float query_key_std = static_cast<float>(1.0 / std::sqrt(c.dim));
  auto sample = [&](Fill fill) {
    switch (fill) {
      case Fill::kWeights:
        return 0.02f * Gaussian(rng);
      case Fill::kQueryKey:
        return query_key_std * Gaussian(rng);
      case Fill::kOnes:
        return 1.0f;
      case Fill::kNearOnes:
        return 1.0f + 0.1f * Gaussian(rng);
      case Fill::kBias:
        return 0.1f * Gaussian(rng);
    }
    return 0.0f;
  };
  // GGUF dims are {row length, rows}; vectors have the one dimension.
  auto add = [&](const std::string& name, int rows, int cols, Fill fill) -> absl::Status {
    const bool matrix = fill == Fill::kWeights || fill == Fill::kQueryKey;
    const TensorType type = matrix ? spec.type : TensorType::kF32;
    const size_t row_bytes = RowBytes(type, cols);
    std::vector<uint8_t> data(row_bytes * rows);
    row.resize(cols);
    for (int r = 0; r < rows; ++r) {
      for (float& value : row) value = sample(fill);
      QuantizeRow(type, row.data(), cols, data.data() + r * row_bytes);
    }
    std::vector<int64_t> dims = {cols};
    if (matrix) dims.push_back(rows);
    return out.AddTensor(name, dims, type, std::move(data));
  };
  if (auto s = add("token_embd.weight", c.vocab_size, c.dim, Fill::kWeights); !s.ok()) return s;
  if (auto s = add("output_norm.weight", 1, c.dim, Fill::kOnes); !s.ok()) return s;
  if (!spec.tied_classifier) {
    if (auto s = add("output.weight", c.vocab_size, c.dim, Fill::kWeights); !s.ok()) return s;
  }
  if (spec.llama3_rope_scaling) {
    const std::vector<float> divisors = Llama3FrequencyDivisors(c);
    std::vector<uint8_t> data(divisors.size() * sizeof(float));
    std::memcpy(data.data(), divisors.data(), data.size());
    const int64_t count = static_cast<int64_t>(divisors.size());
    if (auto s = out.AddTensor("rope_freqs.weight", {count}, TensorType::kF32, std::move(data));
        !s.ok()) {
      return s;
    }
  }
  for (int l = 0; l < c.layers; ++l) {
    const std::string b = absl::StrCat("blk.", l, ".");
    struct Tensor {
      const char* name;
      int rows, cols;
      Fill fill;
    };
    std::vector<Tensor> tensors = {
        {"attn_norm.weight", 1, c.dim, Fill::kOnes},
        {"attn_q.weight", c.q_dim(), c.dim, Fill::kQueryKey},
        {"attn_k.weight", c.kv_dim(), c.dim, Fill::kQueryKey},
        {"attn_v.weight", c.kv_dim(), c.dim, Fill::kWeights},
    };
    if (c.has_qkv_bias()) {
      tensors.insert(tensors.end(), {{"attn_q.bias", 1, c.q_dim(), Fill::kBias},
                                     {"attn_k.bias", 1, c.kv_dim(), Fill::kBias},
                                     {"attn_v.bias", 1, c.kv_dim(), Fill::kBias}});
    }
    if (c.has_qk_norm()) {
      tensors.insert(tensors.end(), {{"attn_q_norm.weight", 1, c.head_dim, Fill::kNearOnes},
                                     {"attn_k_norm.weight", 1, c.head_dim, Fill::kNearOnes}});
    }
    tensors.insert(tensors.end(), {
                                      {"attn_output.weight", c.dim, c.q_dim(), Fill::kWeights},
                                      {"ffn_norm.weight", 1, c.dim, Fill::kOnes},
                                      {"ffn_gate.weight", c.ffn_dim, c.dim, Fill::kWeights},
                                      {"ffn_down.weight", c.dim, c.ffn_dim, Fill::kWeights},
                                      {"ffn_up.weight", c.ffn_dim, c.dim, Fill::kWeights},
                                  });
    for (const Tensor& t : tensors) {
      if (auto s = add(b + t.name, t.rows, t.cols, t.fill); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade::engine
