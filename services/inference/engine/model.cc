#include "services/inference/engine/model.h"

#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/inference/engine/rope.h"

namespace cascade::engine {

// Turns a validated GgufFile into a Model, checking every tensor against the hyperparameters.
class ModelBuilder {
 public:
  ModelBuilder(const GgufFile& file, Model& model) : file_(file), model_(model) {}

  absl::Status Build() {
    auto config = ModelConfigFromGguf(file_);
    if (!config.ok()) return config.status();
    auto tokenizer = Tokenizer::FromGguf(file_);
    if (!tokenizer.ok()) return tokenizer.status();
    model_.tokenizer_ = std::make_unique<Tokenizer>(std::move(*tokenizer));
    config->vocab_size = model_.tokenizer_->vocab_size();
    if (auto s = config->Validate(); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("GGUF file '", file_.path(), "': ", s.message()));
    }
    model_.config_ = *config;
    const ModelConfig& c = model_.config_;

    auto embedding = GetMatrix("token_embd.weight", c.vocab_size, c.dim);
    if (!embedding.ok()) return embedding.status();
    model_.token_embedding_ = *embedding;
    if (file_.FindTensor("output.weight") != nullptr) {
      auto classifier = GetMatrix("output.weight", c.vocab_size, c.dim);
      if (!classifier.ok()) return classifier.status();
      model_.classifier_ = *classifier;
    } else {
      model_.classifier_ = model_.token_embedding_;  // tied embeddings
    }
    if (auto s = GetVector("output_norm.weight", c.dim, model_.output_norm_); !s.ok()) return s;

    model_.layers_.resize(c.layers);
    for (int i = 0; i < c.layers; ++i) {
      if (auto s = BuildLayer(i, model_.layers_[i]); !s.ok()) return s;
    }
    return BuildRopeTable();
  }

  // The matrices the forward pass multiplies by, in the best kernel set's faster layout where it
  // has one (Kernels::pack). The embedding itself is read a row at a time and stays as it is.
  void PackForKernels() {
    const Kernels& kernels = BestKernels();
    if (kernels.pack == nullptr) return;
    auto pack = [&](Matrix& m) {
      std::vector<uint8_t> packed;
      if (!kernels.pack(m, packed)) return;
      model_.packed_bytes_ += packed.size();
      m.packed = model_.owned_.emplace_back(std::move(packed)).data();
      // The file's copy is not read again (unless it is also the embedding): give back its
      // pages, so the model's resident memory holds the weights once, not twice.
      if (m.data != model_.token_embedding_.data) {
        model_.mapping_->Release(m.data, static_cast<size_t>(m.rows) * m.row_bytes);
      }
    };
    pack(model_.classifier_);
    for (LayerWeights& layer : model_.layers_) {
      for (Matrix* m : {&layer.query, &layer.key, &layer.value, &layer.attention_output,
                        &layer.gate, &layer.up, &layer.down}) {
        pack(*m);
      }
    }
  }

 private:
  absl::Status BuildLayer(int index, LayerWeights& layer) {
    const ModelConfig& c = model_.config_;
    const std::string prefix = absl::StrCat("blk.", index, ".");
    struct MatrixSpec {
      const char* name;
      int rows, cols;
      Matrix* out;
    };
    const MatrixSpec specs[] = {
        {"attn_q.weight", c.q_dim(), c.dim, &layer.query},
        {"attn_k.weight", c.kv_dim(), c.dim, &layer.key},
        {"attn_v.weight", c.kv_dim(), c.dim, &layer.value},
        {"attn_output.weight", c.dim, c.q_dim(), &layer.attention_output},
        {"ffn_gate.weight", c.ffn_dim, c.dim, &layer.gate},
        {"ffn_up.weight", c.ffn_dim, c.dim, &layer.up},
        {"ffn_down.weight", c.dim, c.ffn_dim, &layer.down},
    };
    for (const MatrixSpec& spec : specs) {
      auto matrix = GetMatrix(prefix + spec.name, spec.rows, spec.cols);
      if (!matrix.ok()) return matrix.status();
      *spec.out = *matrix;
    }
    struct VectorSpec {
      const char* name;
      int size;
      std::vector<float>* out;
    };
    std::vector<VectorSpec> vectors = {{"attn_norm.weight", c.dim, &layer.attention_norm},
                                       {"ffn_norm.weight", c.dim, &layer.ffn_norm}};
    if (c.has_qkv_bias()) {
      vectors.insert(vectors.end(), {{"attn_q.bias", c.q_dim(), &layer.query_bias},
                                     {"attn_k.bias", c.kv_dim(), &layer.key_bias},
                                     {"attn_v.bias", c.kv_dim(), &layer.value_bias}});
    }
    if (c.has_qk_norm()) {
      vectors.insert(vectors.end(), {{"attn_q_norm.weight", c.head_dim, &layer.query_norm},
                                     {"attn_k_norm.weight", c.head_dim, &layer.key_norm}});
    }
    for (const VectorSpec& spec : vectors) {
      if (auto s = GetVector(prefix + spec.name, spec.size, *spec.out); !s.ok()) return s;
    }
    return RefuseUnusedAttentionTensors(prefix);
  }

  // Biases or QK-norm weights that this architecture's pass would ignore (llama.cpp reads
  // optional biases in some llama files): refused rather than silently giving other logits.
  absl::Status RefuseUnusedAttentionTensors(const std::string& prefix) {
    const ModelConfig& c = model_.config_;
    std::vector<std::string> unused = {"attn_output.bias"};
    if (!c.has_qkv_bias()) {
      unused.insert(unused.end(), {"attn_q.bias", "attn_k.bias", "attn_v.bias"});
    }
    if (!c.has_qk_norm()) {
      unused.insert(unused.end(), {"attn_q_norm.weight", "attn_k_norm.weight"});
    }
    for (const std::string& name : unused) {
      if (file_.FindTensor(prefix + name) != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "GGUF file '", file_.path(), "' has tensor '", prefix, name, "', which this engine ",
            "does not apply for architecture ", ArchitectureName(c.architecture),
            " (Q/K/V biases: qwen2; QK-norm: qwen3; output bias: none)"));
      }
    }
    return absl::OkStatus();
  }

  // Llama 3.1 files carry per-pair frequency divisors (rope_freqs.weight); others need none.
  absl::Status BuildRopeTable() {
    const ModelConfig& c = model_.config_;
    std::vector<float> divisors;
    if (file_.FindTensor("rope_freqs.weight") != nullptr) {
      if (auto s = GetVector("rope_freqs.weight", c.rope_dims / 2, divisors); !s.ok()) return s;
      for (float divisor : divisors) {
        if (!(divisor > 0) || !std::isfinite(divisor)) {
          return absl::InvalidArgumentError(
              absl::StrCat("GGUF file '", file_.path(), "' has rope_freqs.weight value ", divisor,
                           "; frequency divisors must be positive and finite"));
        }
      }
    }
    model_.rope_table_ = RopeTable(c, divisors);
    return absl::OkStatus();
  }

  absl::StatusOr<const GgufTensorInfo*> Find(const std::string& name, int rows, int cols) {
    const GgufTensorInfo* info = file_.FindTensor(name);
    if (info == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("GGUF file '", file_.path(), "' has no tensor '", name, "', which a ",
                       ArchitectureName(model_.config_.architecture), " model needs"));
    }
    std::vector<int64_t> expected = {cols};
    if (rows > 1 || info->dims.size() > 1) expected.push_back(rows);
    if (info->dims != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GGUF file '", file_.path(), "' has tensor '", name, "' of shape [",
          absl::StrJoin(info->dims, ", "), "] but the metadata (", model_.config_.ToString(),
          ") implies [", absl::StrJoin(expected, ", "), "]"));
    }
    return info;
  }

  absl::StatusOr<Matrix> GetMatrix(const std::string& name, int rows, int cols) {
    auto info = Find(name, rows, cols);
    if (!info.ok()) return info.status();
    Matrix matrix{(*info)->type, rows, cols, (*info)->data, RowBytes((*info)->type, cols)};
    // Kernels read floats and float16 scales through typed pointers, so the data must be
    // 4-byte aligned; a file with a tiny general.alignment gets its tensor copied.
    if (reinterpret_cast<uintptr_t>(matrix.data) % 4 != 0) {
      auto& copy = model_.owned_.emplace_back(matrix.data, matrix.data + (*info)->byte_size);
      matrix.data = copy.data();
    }
    return matrix;
  }

  absl::Status GetVector(const std::string& name, int size, std::vector<float>& out) {
    auto info = Find(name, 1, size);
    if (!info.ok()) return info.status();
    out.resize(size);
    DequantizeRow((*info)->type, (*info)->data, size, out.data());
    return absl::OkStatus();
  }

  const GgufFile& file_;
  Model& model_;
};

absl::StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path,
                                                         const ModelLoadOptions& options) {
  auto file = GgufFile::Open(path);
  if (!file.ok()) {
    if (absl::StrContains(file.status().message(), "not a GGUF file")) {
      return absl::InvalidArgumentError(absl::StrCat(
          file.status().message(),
          "; a llama2.c checkpoint loads with its tokenizer.bin (cascade-run --tokenizer FILE)"));
    }
    return file.status();
  }
  std::shared_ptr<Model> model(new Model());
  model->path_ = path;
  model->mapping_ = (*file)->mapping();
  ModelBuilder builder(**file, *model);
  if (auto status = builder.Build(); !status.ok()) return status;
  if (options.pack_for_cpu) builder.PackForKernels();
  auto name = (*file)->GetString("general.name");
  model->name_ = name.ok() ? *name : path;
  return std::shared_ptr<const Model>(std::move(model));
}

void Model::EmbedToken(int token, float* out) const {
  DequantizeRow(token_embedding_.type, token_embedding_.row(token), config_.dim, out);
}

}  // namespace cascade::engine
