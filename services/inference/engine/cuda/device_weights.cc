#include "services/inference/engine/cuda/device_weights.h"

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/inference/engine/cuda/index_math.h"
#include "services/inference/engine/rope.h"
#include "services/inference/engine/tensor_type.h"

namespace cascade::engine::cuda {
namespace {

absl::Status CheckMatrix(const Matrix& matrix, const std::string& name) {
  if (matrix.cols % kF16PerLoad != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("device \"cuda\" needs rows of a multiple of ", kF16PerLoad, " weights, but ",
                     name, " has ", matrix.cols));
  }
  return absl::OkStatus();
}

bool KeptAsStored(TensorType type) { return type == TensorType::kF16 || type == TensorType::kQ8_0; }

// Every matrix the upload takes, with its GGUF name.
std::vector<std::pair<const Matrix*, std::string>> Matrices(const Model& model) {
  std::vector<std::pair<const Matrix*, std::string>> out = {
      {&model.token_embedding(), "token_embd.weight"}};
  if (!model.tied_classifier()) out.emplace_back(&model.classifier(), "output.weight");
  for (size_t l = 0; l < model.layers().size(); ++l) {
    const LayerWeights& layer = model.layers()[l];
    for (const auto& [matrix, name] : {std::pair{&layer.query, "attn_q"},
                                       {&layer.key, "attn_k"},
                                       {&layer.value, "attn_v"},
                                       {&layer.attention_output, "attn_output"},
                                       {&layer.gate, "ffn_gate"},
                                       {&layer.up, "ffn_up"},
                                       {&layer.down, "ffn_down"}}) {
      out.emplace_back(matrix, absl::StrCat("layer ", l, " ", name));
    }
  }
  return out;
}

}  // namespace

void SplitQ8_0(const Matrix& matrix, int8_t* quants, uint16_t* scales) {
  const int64_t blocks = matrix.cols / kQ8Block;
  for (int64_t r = 0; r < matrix.rows; ++r) {
    const auto* row = reinterpret_cast<const BlockQ8_0*>(matrix.row(r));
    for (int64_t b = 0; b < blocks; ++b) {
      scales[Q8ScaleIndex(r, b * kQ8Block, matrix.cols)] = row[b].scale;
      std::memcpy(&quants[Q8QuantIndex(r, b * kQ8Block, matrix.cols)], row[b].q, kQ8Block);
    }
  }
}

void WidenToF16(const Matrix& matrix, uint16_t* out) {
  std::vector<float> row(static_cast<size_t>(matrix.cols));
  for (int64_t r = 0; r < matrix.rows; ++r) {
    DequantizeRow(matrix.type, matrix.row(r), matrix.cols, row.data());
    for (int64_t col = 0; col < matrix.cols; ++col)
      out[r * matrix.cols + col] = FloatToHalf(row[col]);
  }
}

std::string DescribeDeviceWeights(const Model& model) {
  std::set<std::string> widened;
  int64_t file_bytes = 0, device_bytes = 0;
  for (const auto& [matrix, name] : Matrices(model)) {
    if (KeptAsStored(matrix->type)) continue;
    widened.insert(GgmlTypeName(static_cast<uint32_t>(matrix->type)));
    file_bytes += static_cast<int64_t>(matrix->row_bytes) * matrix->rows;
    device_bytes += matrix->rows * matrix->cols * 2;
  }
  if (widened.empty()) return "as stored (F16, Q8_0)";
  return absl::StrCat(absl::StrJoin(widened, ", "), " widened to F16 at load: ", device_bytes >> 20,
                      " MiB on the GPU for ", file_bytes >> 20,
                      " MiB in the file (no GPU kernels for them yet)");
}

int64_t DeviceMatrix::bytes() const {
  if (type == static_cast<uint32_t>(TensorType::kF16)) return rows * cols * 2;
  return rows * cols + rows * (cols / kQ8Block) * 2;  // int8 quants and half scales
}

absl::Status CheckDeviceWeights(const Model& model) {
  const ModelConfig& c = model.config();
  if (c.head_dim > 256) {
    return absl::FailedPreconditionError(
        absl::StrCat("device \"cuda\" supports head_dim up to 256; the model has ", c.head_dim));
  }
  for (const auto& [matrix, name] : Matrices(model)) {
    if (auto s = CheckMatrix(*matrix, name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<DeviceMatrix> DeviceWeights::AddMatrix(const Matrix& matrix) {
  DeviceMatrix out;
  out.type = static_cast<uint32_t>(matrix.type);
  out.rows = matrix.rows;
  out.cols = matrix.cols;
  if (!KeptAsStored(matrix.type)) {
    // No GPU kernels for this type: the CPU's dequantisation, rounded to halves.
    std::vector<uint16_t> halves(static_cast<size_t>(matrix.rows * matrix.cols));
    WidenToF16(matrix, halves.data());
    auto buffer = DeviceBuffer::Allocate(halves.size() * 2, "F16 weights (widened)");
    if (!buffer.ok()) return buffer.status();
    CASCADE_CUDA_RETURN_IF_ERROR(
        cudaMemcpy(buffer->data(), halves.data(), halves.size() * 2, cudaMemcpyHostToDevice),
        "uploading widened F16 weights");
    out.type = static_cast<uint32_t>(TensorType::kF16);
    out.weights = buffer->data();
    buffers_.push_back(std::move(*buffer));
    return out;
  }
  if (matrix.type == TensorType::kF16) {
    const size_t row_bytes = static_cast<size_t>(matrix.cols) * 2;
    auto buffer = DeviceBuffer::Allocate(row_bytes * matrix.rows, "F16 weights");
    if (!buffer.ok()) return buffer.status();
    CASCADE_CUDA_RETURN_IF_ERROR(
        cudaMemcpy2D(buffer->data(), row_bytes, matrix.data, matrix.row_bytes, row_bytes,
                     matrix.rows, cudaMemcpyHostToDevice),
        "uploading F16 weights");
    out.weights = buffer->data();
    buffers_.push_back(std::move(*buffer));
    return out;
  }
  // Q8_0: split each 34-byte block into its scale and its 32 quants (see index_math.h).
  std::vector<int8_t> quants(static_cast<size_t>(matrix.rows * matrix.cols));
  std::vector<uint16_t> scales(static_cast<size_t>(matrix.rows * (matrix.cols / kQ8Block)));
  SplitQ8_0(matrix, quants.data(), scales.data());
  auto q = DeviceBuffer::Allocate(quants.size(), "Q8_0 quants");
  if (!q.ok()) return q.status();
  auto s = DeviceBuffer::Allocate(scales.size() * 2, "Q8_0 scales");
  if (!s.ok()) return s.status();
  CASCADE_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(q->data(), quants.data(), quants.size(), cudaMemcpyHostToDevice),
      "uploading Q8_0 quants");
  CASCADE_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(s->data(), scales.data(), scales.size() * 2, cudaMemcpyHostToDevice),
      "uploading Q8_0 scales");
  out.weights = q->data();
  out.scales = s->data();
  buffers_.push_back(std::move(*q));
  buffers_.push_back(std::move(*s));
  return out;
}

absl::StatusOr<DeviceMatrix> DeviceWeights::AddRandomMatrix(int64_t rows, int64_t cols,
                                                            uint64_t seed, float scale) {
  auto buffer = DeviceBuffer::Allocate(static_cast<size_t>(rows * cols) * 2, "random weights");
  if (!buffer.ok()) return buffer.status();
  CASCADE_CUDA_RETURN_IF_ERROR(LaunchRandomHalves(buffer->data(), rows * cols, seed, scale, 0),
                               "generating random weights");
  DeviceMatrix out;
  out.type = static_cast<uint32_t>(TensorType::kF16);
  out.rows = rows;
  out.cols = cols;
  out.weights = buffer->data();
  buffers_.push_back(std::move(*buffer));
  return out;
}

absl::StatusOr<const float*> DeviceWeights::AddFloats(const float* data, size_t count) {
  auto buffer = DeviceBuffer::Allocate(count * sizeof(float), "norm weights / rope table");
  if (!buffer.ok()) return buffer.status();
  CASCADE_CUDA_RETURN_IF_ERROR(
      cudaMemcpy(buffer->data(), data, count * sizeof(float), cudaMemcpyHostToDevice),
      "uploading norm weights / rope table");
  const float* out = buffer->as<float>();
  buffers_.push_back(std::move(*buffer));
  return out;
}

absl::StatusOr<const float*> DeviceWeights::AddOnes(size_t count) {
  auto buffer = DeviceBuffer::Allocate(count * sizeof(float), "norm weights");
  if (!buffer.ok()) return buffer.status();
  CASCADE_CUDA_RETURN_IF_ERROR(LaunchFill(buffer->as<float>(), count, 1.0f, 0), "filling norms");
  const float* out = buffer->as<float>();
  buffers_.push_back(std::move(*buffer));
  return out;
}

absl::StatusOr<std::shared_ptr<const DeviceWeights>> DeviceWeights::Upload(const Model& model) {
  if (auto status = CheckDeviceWeights(model); !status.ok()) return status;
  std::shared_ptr<DeviceWeights> w(new DeviceWeights());
  w->config_ = model.config();
  const ModelConfig& c = w->config_;
  auto embedding = w->AddMatrix(model.token_embedding());
  if (!embedding.ok()) return embedding.status();
  w->embedding_ = *embedding;
  w->tied_ = model.tied_classifier();
  if (w->tied_) {
    w->classifier_ = w->embedding_;
  } else {
    auto classifier = w->AddMatrix(model.classifier());
    if (!classifier.ok()) return classifier.status();
    w->classifier_ = *classifier;
  }
  for (const LayerWeights& layer : model.layers()) {
    DeviceLayer out;
    auto norm = w->AddFloats(layer.attention_norm.data(), layer.attention_norm.size());
    if (!norm.ok()) return norm.status();
    out.attention_norm = *norm;
    norm = w->AddFloats(layer.ffn_norm.data(), layer.ffn_norm.size());
    if (!norm.ok()) return norm.status();
    out.ffn_norm = *norm;
    // The architecture's extra vectors (empty in LayerWeights where it has none).
    for (const auto& [from, to] : {std::pair{&layer.query_bias, &out.query_bias},
                                   {&layer.key_bias, &out.key_bias},
                                   {&layer.value_bias, &out.value_bias},
                                   {&layer.query_norm, &out.query_norm},
                                   {&layer.key_norm, &out.key_norm}}) {
      if (from->empty()) continue;
      auto floats = w->AddFloats(from->data(), from->size());
      if (!floats.ok()) return floats.status();
      *to = *floats;
    }
    for (const auto& [from, to] : {std::pair{&layer.query, &out.query},
                                   {&layer.key, &out.key},
                                   {&layer.value, &out.value},
                                   {&layer.attention_output, &out.attention_output},
                                   {&layer.gate, &out.gate},
                                   {&layer.up, &out.up},
                                   {&layer.down, &out.down}}) {
      auto matrix = w->AddMatrix(*from);
      if (!matrix.ok()) return matrix.status();
      *to = *matrix;
    }
    w->layers_.push_back(out);
  }
  auto norm = w->AddFloats(model.output_norm().data(), model.output_norm().size());
  if (!norm.ok()) return norm.status();
  w->output_norm_ = *norm;
  auto rope =
      w->AddFloats(model.rope_table(0), static_cast<size_t>(c.context_length) * c.rope_dims);
  if (!rope.ok()) return rope.status();
  w->rope_table_ = *rope;
  CASCADE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize(), "uploading weights");
  return w;
}

absl::StatusOr<std::shared_ptr<const DeviceWeights>> DeviceWeights::RandomF16(
    const ModelConfig& config, uint64_t seed) {
  if (auto status = config.Validate(); !status.ok()) return status;
  if (config.architecture != Architecture::kLlama) {
    return absl::InvalidArgumentError(absl::StrCat("random CUDA models are llama-shaped; upload a ",
                                                   ArchitectureName(config.architecture),
                                                   " model with DeviceWeights::Upload"));
  }
  if (config.head_dim > 256 || config.dim % kF16PerLoad != 0 || config.ffn_dim % kF16PerLoad != 0 ||
      config.q_dim() % kF16PerLoad != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("random CUDA model: unsupported shape ", config.ToString()));
  }
  std::shared_ptr<DeviceWeights> w(new DeviceWeights());
  w->config_ = config;
  const ModelConfig& c = w->config_;
  uint64_t stream = seed * 1000;
  auto add = [&](int64_t rows, int64_t cols, float scale) {
    return w->AddRandomMatrix(rows, cols, ++stream, scale);
  };
  auto inverse_sqrt = [](int64_t n) { return static_cast<float>(1.0 / std::sqrt(n)); };
  auto embedding = add(c.vocab_size, c.dim, 1.0f);
  if (!embedding.ok()) return embedding.status();
  w->embedding_ = *embedding;
  auto classifier = add(c.vocab_size, c.dim, inverse_sqrt(c.dim));
  if (!classifier.ok()) return classifier.status();
  w->classifier_ = *classifier;
  for (int l = 0; l < c.layers; ++l) {
    DeviceLayer out;
    for (const float** norm : {&out.attention_norm, &out.ffn_norm}) {
      auto ones = w->AddOnes(c.dim);
      if (!ones.ok()) return ones.status();
      *norm = *ones;
    }
    for (const auto& [to, rows, cols] : {std::tuple{&out.query, c.q_dim(), c.dim},
                                         {&out.key, c.kv_dim(), c.dim},
                                         {&out.value, c.kv_dim(), c.dim},
                                         {&out.attention_output, c.dim, c.q_dim()},
                                         {&out.gate, c.ffn_dim, c.dim},
                                         {&out.up, c.ffn_dim, c.dim},
                                         {&out.down, c.dim, c.ffn_dim}}) {
      auto matrix = add(rows, cols, inverse_sqrt(cols));
      if (!matrix.ok()) return matrix.status();
      *to = *matrix;
    }
    w->layers_.push_back(out);
  }
  auto norm = w->AddOnes(c.dim);
  if (!norm.ok()) return norm.status();
  w->output_norm_ = *norm;
  const std::vector<float> table = RopeTable(c);
  auto rope = w->AddFloats(table.data(), table.size());
  if (!rope.ok()) return rope.status();
  w->rope_table_ = *rope;
  CASCADE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize(), "generating random weights");
  return w;
}

int64_t DeviceWeights::bytes_per_token() const {
  int64_t bytes = classifier_.bytes();
  if (!tied_) bytes += embedding_.bytes() / std::max<int64_t>(1, embedding_.rows);
  for (const DeviceLayer& l : layers_) {
    for (const DeviceMatrix* m :
         {&l.query, &l.key, &l.value, &l.attention_output, &l.gate, &l.up, &l.down}) {
      bytes += m->bytes();
    }
  }
  return bytes;
}

}  // namespace cascade::engine::cuda
