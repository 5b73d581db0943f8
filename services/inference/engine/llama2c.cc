// llama2.c checkpoints (github.com/karpathy/llama2.c, the "version 0" export): a header of seven
// int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) followed by float32
// weights in a fixed order. A negative vocab_size means the classifier is stored separately
// instead of being tied to the token embedding. The tokenizer is a separate tokenizer.bin:
// max_token_length, then per token a float score, an int32 length and the bytes, with spaces
// written as ' ' where SentencePiece writes U+2581.
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/rope.h"

namespace cascade::engine {
namespace {

struct Llama2cHeader {
  int32_t dim, hidden_dim, layers, heads, kv_heads, vocab_size, seq_len;
};

absl::StatusOr<TokenizerVocab> ReadLlama2cTokenizer(const std::string& path, int vocab_size) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  const uint8_t* data = (*file)->data();
  const size_t size = (*file)->size();
  size_t position = 4;  // max_token_length, not needed
  auto truncated = [&](int id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama2.c tokenizer '", path, "' is truncated at token ", id, " of ", vocab_size));
  };
  TokenizerVocab vocab;
  for (int id = 0; id < vocab_size; ++id) {
    float score = 0;
    int32_t length = 0;
    if (size < position + 8) return truncated(id);
    std::memcpy(&score, data + position, 4);
    std::memcpy(&length, data + position + 4, 4);
    position += 8;
    if (length < 0 || size - position < static_cast<size_t>(length)) return truncated(id);
    std::string piece(reinterpret_cast<const char*>(data + position), length);
    position += length;
    vocab.scores.push_back(score);
    if (id == 1) piece = "<s>";  // exported as "\n<s>\n"
    if (id == 2) piece = "</s>";
    vocab.tokens.push_back(absl::StrReplaceAll(piece, {{" ", "\xE2\x96\x81"}}));
    vocab.kinds.push_back(id == 0                                           ? TokenKind::kUnknown
                          : id <= 2                                         ? TokenKind::kControl
                          : piece.size() == 6 && piece.rfind("<0x", 0) == 0 ? TokenKind::kByte
                                                                            : TokenKind::kNormal);
  }
  return vocab;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Model>> Model::LoadLlama2c(const std::string& checkpoint_path,
                                                                const std::string& tokenizer_path) {
  auto file = MappedFile::Open(checkpoint_path);
  if (!file.ok()) return file.status();
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c checkpoint '", checkpoint_path, "' ", what));
  };
  Llama2cHeader header{};
  if ((*file)->size() < sizeof(header)) return bad("is too short for its header");
  std::memcpy(&header, (*file)->data(), sizeof(header));
  const bool shared_classifier = header.vocab_size > 0;
  ModelConfig c;
  c.dim = header.dim;
  c.ffn_dim = header.hidden_dim;
  c.layers = header.layers;
  c.heads = header.heads;
  c.kv_heads = header.kv_heads;
  c.vocab_size = header.vocab_size < 0 ? -header.vocab_size : header.vocab_size;
  c.context_length = header.seq_len;
  c.head_dim = c.heads > 0 ? c.dim / c.heads : 0;
  c.rope_dims = c.head_dim;
  if (auto status = c.Validate(); !status.ok()) return bad(std::string(status.message()));

  // Sizes in floats, in file order.
  const size_t d = c.dim, f = c.ffn_dim, l = c.layers, v = c.vocab_size, kv = c.kv_dim();
  const size_t rope_table = static_cast<size_t>(c.context_length) * c.head_dim;  // real + imag
  const size_t floats = v * d + l * d + l * d * d + 2 * l * kv * d + l * d * d + l * d +
                        3 * l * f * d + d + rope_table + (shared_classifier ? 0 : v * d);
  const size_t expected = sizeof(header) + floats * sizeof(float);
  if ((*file)->size() != expected) {
    return bad(absl::StrCat("has ", (*file)->size(), " bytes, but its header (", c.ToString(),
                            ") implies ", expected));
  }
  auto tokenizer = ReadLlama2cTokenizer(tokenizer_path, c.vocab_size);
  if (!tokenizer.ok()) return tokenizer.status();

  std::shared_ptr<Model> model(new Model());
  model->path_ = checkpoint_path;
  model->name_ = checkpoint_path;
  model->config_ = c;
  auto built = Tokenizer::FromVocab(std::move(*tokenizer));
  if (!built.ok()) return built.status();
  model->tokenizer_ = std::make_unique<Tokenizer>(std::move(*built));

  const uint8_t* cursor = (*file)->data() + sizeof(header);
  auto take = [&](size_t count) {
    const uint8_t* start = cursor;
    cursor += count * sizeof(float);
    return start;
  };
  auto matrix = [&](const uint8_t* data, int rows, int cols) {
    return Matrix{TensorType::kF32, rows, cols, data, static_cast<size_t>(cols) * sizeof(float)};
  };
  auto vector = [&](const uint8_t* data, size_t n) {
    std::vector<float> values(n);
    std::memcpy(values.data(), data, n * sizeof(float));
    return values;
  };
  // Each kind of tensor is stored for all layers back to back.
  model->token_embedding_ = matrix(take(v * d), c.vocab_size, c.dim);
  model->layers_.resize(c.layers);
  auto per_layer = [&](auto assign, size_t floats_per_layer) {
    const uint8_t* start = take(l * floats_per_layer);
    for (int i = 0; i < c.layers; ++i) assign(model->layers_[i], start + i * floats_per_layer * 4);
  };
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.attention_norm = vector(p, d); }, d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.query = matrix(p, c.q_dim(), c.dim); },
            d * d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.key = matrix(p, c.kv_dim(), c.dim); },
            kv * d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.value = matrix(p, c.kv_dim(), c.dim); },
            kv * d);
  per_layer(
      [&](LayerWeights& w, const uint8_t* p) { w.attention_output = matrix(p, c.dim, c.q_dim()); },
      d * d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.ffn_norm = vector(p, d); }, d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.gate = matrix(p, c.ffn_dim, c.dim); },
            f * d);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.down = matrix(p, c.dim, c.ffn_dim); },
            d * f);
  per_layer([&](LayerWeights& w, const uint8_t* p) { w.up = matrix(p, c.ffn_dim, c.dim); }, f * d);
  model->output_norm_ = vector(take(d), d);
  take(rope_table);  // precomputed RoPE rotations; we compute our own
  model->classifier_ =
      shared_classifier ? model->token_embedding_ : matrix(take(v * d), c.vocab_size, c.dim);
  model->mapping_ = std::shared_ptr<const MappedFile>(std::move(*file));
  model->rope_table_ = RopeTable(c);
  return std::shared_ptr<const Model>(std::move(model));
}

}  // namespace cascade::engine
