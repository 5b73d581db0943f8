// llama2.c checkpoints: a model written in both formats gives the same logits.
#include <cstring>
#include <fstream>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/session.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

void Append(std::string& out, const void* data, size_t size) {
  out.append(static_cast<const char*>(data), size);
}

// Rewrites an F32 GGUF llama model as a llama2.c checkpoint and tokenizer.bin.
void WriteLlama2c(const std::string& gguf_path, const Model& model, const std::string& checkpoint,
                  const std::string& tokenizer, bool tied) {
  auto file = GgufFile::Open(gguf_path);
  ASSERT_TRUE(file.ok());
  const ModelConfig& c = model.config();
  std::string bytes;
  const int32_t header[7] = {c.dim,           c.ffn_dim,  c.layers,
                             c.heads,         c.kv_heads, tied ? c.vocab_size : -c.vocab_size,
                             c.context_length};
  Append(bytes, header, sizeof(header));
  auto tensor = [&](const std::string& name) {
    const GgufTensorInfo* info = (*file)->FindTensor(name);
    ASSERT_NE(info, nullptr) << name;
    Append(bytes, info->data, info->byte_size);
  };
  tensor("token_embd.weight");
  for (const char* name : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                           "ffn_gate", "ffn_down", "ffn_up"}) {
    for (int l = 0; l < c.layers; ++l) tensor("blk." + std::to_string(l) + "." + name + ".weight");
  }
  tensor("output_norm.weight");
  bytes.append(static_cast<size_t>(c.context_length) * c.head_dim * sizeof(float), '\0');
  if (!tied) tensor("output.weight");
  std::ofstream(checkpoint, std::ios::binary).write(bytes.data(), bytes.size());

  std::string tok;
  const int32_t max_length = 64;
  Append(tok, &max_length, 4);
  for (int id = 0; id < c.vocab_size; ++id) {
    const std::string piece =
        absl::StrReplaceAll(model.tokenizer().token_text(id), {{"\xE2\x96\x81", " "}});
    const float score = model.tokenizer().vocab().scores[id];
    const int32_t length = static_cast<int32_t>(piece.size());
    Append(tok, &score, 4);
    Append(tok, &length, 4);
    tok += piece;
  }
  std::ofstream(tokenizer, std::ios::binary).write(tok.data(), tok.size());
}

class Llama2cTest : public ::testing::TestWithParam<bool> {};

TEST_P(Llama2cTest, SameLogitsAsTheGgufOriginal) {
  const bool tied = GetParam();
  testing::TempFile gguf("l2c.gguf"), checkpoint("l2c.bin"), tokenizer("l2c_tok.bin");
  RandomModelSpec spec;
  spec.config = {.dim = 32,
                 .layers = 2,
                 .heads = 4,
                 .kv_heads = 2,
                 .ffn_dim = 48,
                 .vocab_size = 300,
                 .context_length = 32};
  spec.tied_classifier = tied;
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  ASSERT_TRUE(writer.WriteFile(gguf.path()).ok());
  const auto original = testing::LoadOrDie(gguf.path());
  WriteLlama2c(gguf.path(), *original, checkpoint.path(), tokenizer.path(), tied);

  auto converted = Model::LoadLlama2c(checkpoint.path(), tokenizer.path());
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_EQ((*converted)->tied_classifier(), tied);
  EXPECT_EQ(*(*converted)->tokenizer().Encode("t5 t7"), *original->tokenizer().Encode("t5 t7"));

  ThreadPool pool(1);
  Session a(original, pool), b(*converted, pool);
  const std::vector<int> tokens = {1, 270, 3 + 'x', 280, 290};
  ASSERT_TRUE(a.Forward(tokens, 5).ok());
  ASSERT_TRUE(b.Forward(tokens, 5).ok());
  for (int row = 0; row < 5; ++row) {
    for (int v = 0; v < 300; ++v) ASSERT_EQ(a.logits(row)[v], b.logits(row)[v]);
  }
}

INSTANTIATE_TEST_SUITE_P(TiedAndSeparateClassifier, Llama2cTest, ::testing::Bool());

TEST(Llama2c, RejectsWrongSizeAndMissingTokenizer) {
  testing::TempFile checkpoint("short.bin");
  const int32_t header[7] = {32, 48, 2, 4, 2, 300, 32};
  checkpoint.Write(std::string(reinterpret_cast<const char*>(header), sizeof(header)) +
                   std::string(1000, '\0'));
  auto model = Model::LoadLlama2c(checkpoint.path(), "/nonexistent/tokenizer.bin");
  EXPECT_THAT(std::string(model.status().message()), ::testing::HasSubstr("implies"));
  // A llama2.c file given as GGUF gets a hint.
  auto as_gguf = Model::Load(checkpoint.path());
  EXPECT_THAT(std::string(as_gguf.status().message()), ::testing::HasSubstr("--tokenizer"));
}

}  // namespace
}  // namespace cascade::engine
