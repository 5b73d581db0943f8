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
  if (!(rope_position_scale > 0)) {
    return bad(absl::StrCat("rope position scale ", rope_position_scale));
  }
  if (!(norm_eps > 0) || norm_eps > 1) return bad(absl::StrCat("rms epsilon ", norm_eps));
  return absl::OkStatus();
}

std::string ModelConfig::ToString() const {
  return absl::StrCat(ArchitectureName(architecture), ", dim ", dim, ", layers ", layers,
                      ", heads ", heads, "/", kv_heads, ", head_dim ", head_dim, ", ffn ", ffn_dim,
                      ", vocab ", vocab_size, ", context ", context_length,
                      sliding_window > 0 ? absl::StrCat(", sliding window ", sliding_window) : "");
}

namespace {

constexpr Architecture kArchitectures[] = {Architecture::kLlama, Architecture::kQwen2,
                                           Architecture::kQwen3};

// rope.scaling.type and rope.scaling.factor (or the older rope.scale_linear) as the position
// multiplier. llama.cpp applies the factor unless the type is `none`; an absent type is linear.
absl::StatusOr<float> RopePositionScale(const GgufFile& file, const std::string& prefix) {
  std::string type = "linear";
  if (file.Find(prefix + "rope.scaling.type") != nullptr) {
    auto read = file.GetString(prefix + "rope.scaling.type");
    if (!read.ok()) return read.status();
    type = *read;
  }
  if (type != "none" && type != "linear") {
    return absl::InvalidArgumentError(absl::StrCat(
        "GGUF file '", file.path(), "' has ", prefix, "rope.scaling.type = '", type,
        "', which this engine does not support; supported: none, linear (and Llama 3.1's "
        "per-frequency factors in rope_freqs.weight)"));
  }
  if (type == "none") return 1.0f;
  std::string factor_key = prefix + "rope.scaling.factor";
  if (file.Find(factor_key) == nullptr) factor_key = prefix + "rope.scale_linear";
  auto factor = file.GetFloat(factor_key, 0.0);
  if (!factor.ok()) return factor.status();
  if (*factor == 0) return 1.0f;  // absent or 0: no scaling, as llama.cpp reads it
  if (!(*factor > 0) || *factor > 1e6) {
    return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' has ", factor_key,
                                                   " = ", *factor, ", out of range"));
  }
  return static_cast<float>(1.0 / *factor);
}

}  // namespace

absl::string_view ArchitectureName(Architecture architecture) {
  switch (architecture) {
    case Architecture::kLlama:
      return "llama";
    case Architecture::kQwen2:
      return "qwen2";
    case Architecture::kQwen3:
      return "qwen3";
  }
  return "unknown";
}

std::string SupportedArchitectures() {
  std::string out;
  for (Architecture architecture : kArchitectures) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", ArchitectureName(architecture));
  }
  return out;
}

absl::StatusOr<ModelConfig> ModelConfigFromGguf(const GgufFile& file) {
  auto name = file.GetString("general.architecture");
  if (!name.ok()) return name.status();
  ModelConfig config;
  bool known = false;
  for (Architecture architecture : kArchitectures) {
    if (*name == ArchitectureName(architecture)) {
      config.architecture = architecture;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GGUF file '", file.path(), "' has architecture '", *name,
        "', which this engine does not support yet; supported: ", SupportedArchitectures()));
  }
  // Hyperparameters are keyed by the architecture's name: llama.embedding_length, ...
  const std::string prefix = absl::StrCat(*name, ".");
  // Reads an integer key into an int, with an optional default.
  auto read = [&](absl::string_view key, int& out, int64_t fallback = -1) -> absl::Status {
    auto value = fallback < 0 ? file.GetInt(absl::StrCat(prefix, key))
                              : file.GetInt(absl::StrCat(prefix, key), fallback);
    if (!value.ok()) return value.status();
    if (*value < 0 || *value > (int64_t{1} << 30)) {
      return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' has ", prefix,
                                                     key, " = ", *value, ", out of range"));
    }
    out = static_cast<int>(*value);
    return absl::OkStatus();
  };
  if (auto s = read("embedding_length", config.dim); !s.ok()) return s;
  if (auto s = read("block_count", config.layers); !s.ok()) return s;
  if (auto s = read("feed_forward_length", config.ffn_dim); !s.ok()) return s;
  if (auto s = read("attention.head_count", config.heads); !s.ok()) return s;
  if (config.heads <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "attention.head_count is 0"));
  }
  if (auto s = read("attention.head_count_kv", config.kv_heads, config.heads); !s.ok()) return s;
  if (auto s = read("context_length", config.context_length); !s.ok()) return s;
  if (auto s = read("attention.key_length", config.head_dim, config.dim / config.heads); !s.ok()) {
    return s;
  }
  int value_length = 0;
  if (auto s = read("attention.value_length", value_length, config.head_dim); !s.ok()) return s;
  if (value_length != config.head_dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GGUF file '", file.path(), "' has ", prefix, "attention.value_length ", value_length,
        " unlike its key_length ", config.head_dim, "; supported: equal lengths"));
  }
  if (auto s = read("rope.dimension_count", config.rope_dims, config.head_dim); !s.ok()) return s;
  // Applied as declared, in every layer: llama.cpp ignores the key for these architectures,
  // so beyond the window its logits differ from ours (docs/operations.md).
  if (auto s = read("attention.sliding_window", config.sliding_window, 0); !s.ok()) return s;
  auto theta = file.GetFloat(prefix + "rope.freq_base", 10000.0);
  auto eps = file.GetFloat(prefix + "attention.layer_norm_rms_epsilon", 1e-5);
  if (!theta.ok()) return theta.status();
  if (!eps.ok()) return eps.status();
  config.rope_theta = static_cast<float>(*theta);
  config.norm_eps = static_cast<float>(*eps);
  auto position_scale = RopePositionScale(file, prefix);
  if (!position_scale.ok()) return position_scale.status();
  config.rope_position_scale = *position_scale;
  return config;
}

}  // namespace cascade::engine
