#include "services/inference/engine/model_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::engine {

absl::Status ModelConfig::Validate() const {
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("invalid model hyperparameters: ", what));
  };
  // Generous bounds, there to turn garbage into an error before any allocation is sized by it.
  if (dim <= 0 || dim > 65536) return bad(absl::StrCat("embedding length ", dim));
  if (layers <= 0 || layers > 1024) return bad(absl::StrCat("block count ", layers));
  if (heads <= 0 || heads > 1024) return bad(absl::StrCat("head count ", heads));
  if (kv_heads <= 0 || heads % kv_heads != 0) {
    return bad(absl::StrCat("head_count_kv ", kv_heads, " does not divide head count ", heads));
  }
  if (head_dim <= 0 || head_dim % 2 != 0 || head_dim > 1024) {
    return bad(absl::StrCat("head dimension ", head_dim, " (must be even)"));
  }
  if (ffn_dim <= 0 || ffn_dim > 1 << 20) return bad(absl::StrCat("feed-forward length ", ffn_dim));
  if (vocab_size <= 0 || vocab_size > 1 << 22) return bad(absl::StrCat("vocabulary ", vocab_size));
  if (context_length <= 0 || context_length > 1 << 20) {
    return bad(absl::StrCat("context length ", context_length));
  }
  if (rope_dims <= 0 || rope_dims > head_dim || rope_dims % 2 != 0) {
    return bad(absl::StrCat("rope dimension count ", rope_dims, " for head dimension ", head_dim));
  }
  if (!(rope_theta > 0)) return bad(absl::StrCat("rope freq_base ", rope_theta));
  if (!(norm_eps > 0) || norm_eps > 1) return bad(absl::StrCat("rms epsilon ", norm_eps));
  return absl::OkStatus();
}

std::string ModelConfig::ToString() const {
  return absl::StrCat("dim ", dim, ", layers ", layers, ", heads ", heads, "/", kv_heads,
                      ", head_dim ", head_dim, ", ffn ", ffn_dim, ", vocab ", vocab_size,
                      ", context ", context_length);
}

absl::StatusOr<ModelConfig> ModelConfigFromGguf(const GgufFile& file) {
  auto architecture = file.GetString("general.architecture");
  if (!architecture.ok()) return architecture.status();
  if (*architecture != "llama") {
    return absl::InvalidArgumentError(
        absl::StrCat("GGUF file '", file.path(), "' has architecture '", *architecture,
                     "', which this engine does not support yet; supported: llama"));
  }
  ModelConfig config;
  // Reads an integer key into an int, with an optional default.
  auto read = [&](absl::string_view key, int& out, int64_t fallback = -1) -> absl::Status {
    auto value = fallback < 0 ? file.GetInt(absl::StrCat("llama.", key))
                              : file.GetInt(absl::StrCat("llama.", key), fallback);
    if (!value.ok()) return value.status();
    if (*value < 0 || *value > (int64_t{1} << 30)) {
      return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' has llama.",
                                                     key, " = ", *value, ", out of range"));
    }
    out = static_cast<int>(*value);
    return absl::OkStatus();
  };
  if (auto s = read("embedding_length", config.dim); !s.ok()) return s;
  if (auto s = read("block_count", config.layers); !s.ok()) return s;
  if (auto s = read("feed_forward_length", config.ffn_dim); !s.ok()) return s;
  if (auto s = read("attention.head_count", config.heads); !s.ok()) return s;
  if (config.heads <= 0) return absl::InvalidArgumentError("llama.attention.head_count is 0");
  if (auto s = read("attention.head_count_kv", config.kv_heads, config.heads); !s.ok()) return s;
  if (auto s = read("context_length", config.context_length); !s.ok()) return s;
  if (auto s = read("attention.key_length", config.head_dim, config.dim / config.heads); !s.ok()) {
    return s;
  }
  if (auto s = read("rope.dimension_count", config.rope_dims, config.head_dim); !s.ok()) return s;
  auto theta = file.GetFloat("llama.rope.freq_base", 10000.0);
  auto eps = file.GetFloat("llama.attention.layer_norm_rms_epsilon", 1e-5);
  if (!theta.ok()) return theta.status();
  if (!eps.ok()) return eps.status();
  config.rope_theta = static_cast<float>(*theta);
  config.norm_eps = static_cast<float>(*eps);
  return config;
}

}  // namespace cascade::engine
