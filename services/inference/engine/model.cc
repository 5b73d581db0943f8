#include "services/inference/engine/model.h"

#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
    return absl::OkStatus();
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
    if (auto s = GetVector(prefix + "attn_norm.weight", c.dim, layer.attention_norm); !s.ok()) {
      return s;
    }
    return GetVector(prefix + "ffn_norm.weight", c.dim, layer.ffn_norm);
  }

  absl::StatusOr<const GgufTensorInfo*> Find(const std::string& name, int rows, int cols) {
    const GgufTensorInfo* info = file_.FindTensor(name);
    if (info == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "GGUF file '", file_.path(), "' has no tensor '", name, "', which a llama model needs"));
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

absl::StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path) {
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
  auto name = (*file)->GetString("general.name");
  model->name_ = name.ok() ? *name : path;
  model->BuildRopeTable();
  return std::shared_ptr<const Model>(std::move(model));
}

void Model::BuildRopeTable() {
  const int pairs = config_.rope_dims / 2;
  rope_table_.resize(static_cast<size_t>(config_.context_length) * pairs * 2);
  for (int position = 0; position < config_.context_length; ++position) {
    float* row = rope_table_.data() + static_cast<size_t>(position) * pairs * 2;
    for (int i = 0; i < pairs; ++i) {
      // Pair i turns at frequency theta^(-2i / rope_dims) radians per position.
      const double frequency =
          std::pow(static_cast<double>(config_.rope_theta), -2.0 * i / config_.rope_dims);
      const double angle = position * frequency;
      row[2 * i] = static_cast<float>(std::cos(angle));
      row[2 * i + 1] = static_cast<float>(std::sin(angle));
    }
  }
}

void Model::EmbedToken(int token, float* out) const {
  DequantizeRow(token_embedding_.type, token_embedding_.row(token), config_.dim, out);
}

}  // namespace cascade::engine
