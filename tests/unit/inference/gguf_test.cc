// The GGUF reader: real files load; every kind of damage is an error that names the problem.
#include "services/inference/engine/gguf.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;
using testing::ModelPath;
using testing::TempFile;

TEST(GgufReader, ReadsTheBardTarget) {
  auto file = GgufFile::Open(ModelPath("bard-target-3m.gguf"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->version(), 3u);
  EXPECT_EQ((*file)->alignment(), 32u);
  EXPECT_EQ(*(*file)->GetString("general.architecture"), "llama");
  EXPECT_EQ(*(*file)->GetInt("llama.embedding_length"), 256);
  EXPECT_NEAR(*(*file)->GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-9);
  EXPECT_TRUE(*(*file)->GetBool("tokenizer.ggml.add_bos_token"));
  EXPECT_EQ((*file)->Find("tokenizer.ggml.tokens")->array.size(), 1024u);
  EXPECT_EQ((*file)->tensors().size(), 38u);
  const GgufTensorInfo* embedding = (*file)->FindTensor("token_embd.weight");
  ASSERT_NE(embedding, nullptr);
  EXPECT_EQ(embedding->dims, (std::vector<int64_t>{256, 1024}));
  EXPECT_EQ(embedding->byte_size, 256u * 1024 * 4);
  EXPECT_EQ((*file)->FindTensor("output.weight"), nullptr);  // tied embeddings
}

TEST(GgufReader, LoadsBothBardModels) {
  for (const char* name : {"bard-target-3m.gguf", "bard-draft-0.5m.gguf"}) {
    auto model = Model::Load(ModelPath(name));
    ASSERT_TRUE(model.ok()) << model.status();
    EXPECT_TRUE((*model)->tied_classifier());
    EXPECT_EQ((*model)->config().vocab_size, 1024);
    EXPECT_EQ((*model)->config().context_length, 256);
  }
  auto target = Model::Load(ModelPath("bard-target-3m.gguf"));
  const ModelConfig& c = (*target)->config();
  EXPECT_EQ(c.dim, 256);
  EXPECT_EQ(c.layers, 4);
  EXPECT_EQ(c.heads, 8);
  EXPECT_EQ(c.kv_heads, 4);
  EXPECT_EQ(c.ffn_dim, 704);
  EXPECT_EQ(c.head_dim, 32);
}

// Every metadata value type survives a write and a read.
TEST(GgufReader, RoundTripsEveryValueType) {
  GgufWriter writer;
  auto scalar = [](GgufValueType type, int64_t v) {
    GgufValue value;
    value.type = type;
    value.int_value = v;
    value.uint_value = static_cast<uint64_t>(v);
    return value;
  };
  writer.SetMetadata("u8", scalar(GgufValueType::kUint8, 200));
  writer.SetMetadata("i8", scalar(GgufValueType::kInt8, -100));
  writer.SetMetadata("u16", scalar(GgufValueType::kUint16, 60000));
  writer.SetMetadata("i16", scalar(GgufValueType::kInt16, -30000));
  writer.SetMetadata("u32", GgufUint32(4000000000u));
  writer.SetMetadata("i32", GgufInt32(-2000000000));
  writer.SetMetadata("u64", scalar(GgufValueType::kUint64, int64_t{1} << 40));
  writer.SetMetadata("i64", scalar(GgufValueType::kInt64, -(int64_t{1} << 40)));
  writer.SetMetadata("f32", GgufFloat32(1.5f));
  GgufValue f64;
  f64.type = GgufValueType::kFloat64;
  f64.float_value = 0.1;
  writer.SetMetadata("f64", f64);
  writer.SetMetadata("bool", GgufBool(true));
  writer.SetMetadata("string", GgufString("h\xC3\xA9llo"));
  writer.SetMetadata("strings", GgufStringArray({"a", "", "c"}));
  GgufValue nested;
  nested.type = GgufValueType::kArray;
  nested.array_type = GgufValueType::kArray;
  nested.array = {GgufInt32Array({1, 2}), GgufInt32Array({3})};
  writer.SetMetadata("nested", nested);
  TempFile file("all_types.gguf");
  file.Write(writer.Serialize());

  auto read = GgufFile::Open(file.path());
  ASSERT_TRUE(read.ok()) << read.status();
  const GgufFile& f = **read;
  EXPECT_EQ(*f.GetInt("u8"), 200);
  EXPECT_EQ(*f.GetInt("i8"), -100);
  EXPECT_EQ(*f.GetInt("u16"), 60000);
  EXPECT_EQ(*f.GetInt("i16"), -30000);
  EXPECT_EQ(*f.GetInt("u32"), 4000000000);
  EXPECT_EQ(*f.GetInt("i32"), -2000000000);
  EXPECT_EQ(*f.GetInt("u64"), int64_t{1} << 40);
  EXPECT_EQ(*f.GetInt("i64"), -(int64_t{1} << 40));
  EXPECT_EQ(*f.GetFloat("f32"), 1.5);
  EXPECT_EQ(*f.GetFloat("f64"), 0.1);
  EXPECT_TRUE(*f.GetBool("bool"));
  EXPECT_EQ(*f.GetString("string"), "h\xC3\xA9llo");
  EXPECT_EQ(f.Find("strings")->array[2].string_value, "c");
  EXPECT_EQ(f.Find("nested")->array[1].array[0].int_value, 3);
  EXPECT_EQ(f.alignment(), 32u);  // the default
  EXPECT_THAT(f.GetString("u8").status().message(), HasSubstr("expected string"));
  EXPECT_THAT(f.GetInt("missing").status().message(), HasSubstr("no metadata key 'missing'"));
  EXPECT_EQ(*f.GetInt("missing", 7), 7);
}

// A small valid file with one tensor, for the corruption tests to damage.
std::string SmallFile(uint32_t alignment = 32) {
  GgufWriter writer;
  writer.SetMetadata("general.architecture", GgufString("llama"));
  if (alignment != 32) writer.SetAlignment(alignment);
  std::vector<uint8_t> data(4 * 8 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  EXPECT_TRUE(writer.AddTensor("weights", {8, 4}, TensorType::kF32, data).ok());
  return writer.Serialize();
}

absl::Status OpenBytes(const std::string& bytes) {
  TempFile file("damaged.gguf");
  file.Write(bytes);
  return GgufFile::Open(file.path()).status();
}

TEST(GgufReader, SmallFileIsValid) {
  EXPECT_TRUE(OpenBytes(SmallFile()).ok());
  EXPECT_TRUE(OpenBytes(SmallFile(64)).ok());
}

TEST(GgufReader, RejectsBadMagic) {
  std::string bytes = SmallFile();
  bytes[0] = 'X';
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("not a GGUF file"));
}

TEST(GgufReader, RejectsUnknownVersion) {
  std::string bytes = SmallFile();
  bytes[4] = 9;
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("version 9"));
}

TEST(GgufReader, RejectsEveryTruncation) {
  const std::string bytes = SmallFile();
  // Cut the file at every length; each must be an error and never a crash.
  for (size_t length = 0; length < bytes.size(); ++length) {
    const absl::Status status = OpenBytes(bytes.substr(0, length));
    EXPECT_FALSE(status.ok()) << "length " << length;
    if (length > 8) {
      EXPECT_THAT(status.message(), HasSubstr("truncated")) << "length " << length;
    }
  }
}

TEST(GgufReader, RejectsTensorOutOfRange) {
  std::string bytes = SmallFile();
  // The tensor's offset field is the 8 bytes just before the data section's padding; find it
  // by its name and skip name, dim count, dims and type.
  const size_t name_at = bytes.find("weights");
  const size_t offset_at = name_at + 7 + 4 + 16 + 4;
  const uint64_t far = 1 << 20;
  std::memcpy(&bytes[offset_at], &far, 8);
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("runs past the end"));
  const uint64_t misaligned = 4;
  std::memcpy(&bytes[offset_at], &misaligned, 8);
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("not a multiple of the alignment"));
}

TEST(GgufReader, RejectsUnsupportedTensorType) {
  std::string bytes = SmallFile();
  const size_t type_at = bytes.find("weights") + 7 + 4 + 16;
  const uint32_t q3_k = 11;
  std::memcpy(&bytes[type_at], &q3_k, 4);
  const absl::Status status = OpenBytes(bytes);
  EXPECT_THAT(status.message(), HasSubstr("type Q3_K"));
  EXPECT_THAT(status.message(),
              HasSubstr("supported: F32, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K"));
}

TEST(GgufReader, RejectsAKQuantRowThatIsNoMultipleOf256) {
  std::string bytes = SmallFile();  // "weights" has rows of 32
  const size_t type_at = bytes.find("weights") + 7 + 4 + 16;
  const uint32_t q4_k = 12;
  std::memcpy(&bytes[type_at], &q4_k, 4);
  const absl::Status status = OpenBytes(bytes);
  EXPECT_THAT(status.message(), HasSubstr("is not a multiple of 256"));
}

TEST(GgufReader, RejectsAbsurdCountsAndDims) {
  std::string bytes = SmallFile();
  const uint64_t huge = uint64_t{1} << 60;
  std::string many_tensors = bytes;
  std::memcpy(&many_tensors[8], &huge, 8);
  EXPECT_FALSE(OpenBytes(many_tensors).ok());
  std::string many_keys = bytes;
  std::memcpy(&many_keys[16], &huge, 8);
  EXPECT_FALSE(OpenBytes(many_keys).ok());
  std::string big_dim = bytes;
  std::memcpy(&big_dim[bytes.find("weights") + 7 + 4], &huge, 8);
  EXPECT_THAT(OpenBytes(big_dim).message(), HasSubstr("invalid dimension"));
}

// Found by the gguf_reader fuzzer: dimensions whose product wraps around 2^64 (2^32 x
// 2^32) passed the size check, and the tensor then claimed 0 bytes of data.
TEST(GgufReader, RejectsDimensionsWhoseProductOverflows) {
  std::string bytes = SmallFile();
  const uint64_t two_to_32 = uint64_t{1} << 32;
  const size_t dims_at = bytes.find("weights") + 7 + 4;
  std::memcpy(&bytes[dims_at], &two_to_32, 8);
  std::memcpy(&bytes[dims_at + 8], &two_to_32, 8);
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("invalid dimension 4294967296"));
  // Each dimension alone is allowed; only the product is too large.
  const uint64_t two_to_20 = uint64_t{1} << 20;
  std::memcpy(&bytes[dims_at], &two_to_20, 8);
  std::memcpy(&bytes[dims_at + 8], &two_to_20, 8);
  EXPECT_THAT(OpenBytes(bytes).message(), HasSubstr("runs past the end"));
}

// Found by the gguf_reader fuzzer: with general.alignment 1 a tensor can start at an odd
// address, and DequantizeRow read its float16 values through a misaligned pointer (UBSan).
TEST(GgufReader, DequantizesMisalignedData) {
  const uint16_t halves[3] = {FloatToHalf(1.0f), FloatToHalf(-2.0f), FloatToHalf(0.5f)};
  std::vector<uint8_t> buffer(1 + sizeof(halves) + sizeof(BlockQ8_0));
  std::memcpy(buffer.data() + 1, halves, sizeof(halves));
  float out[kQuantBlock];
  DequantizeRow(TensorType::kF16, buffer.data() + 1, 3, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 0.5f);

  BlockQ8_0 block{};
  block.scale = FloatToHalf(0.5f);
  for (int j = 0; j < kQuantBlock; ++j) block.q[j] = static_cast<int8_t>(j - 16);
  std::memcpy(buffer.data() + 1, &block, sizeof(block));
  DequantizeRow(TensorType::kQ8_0, buffer.data() + 1, kQuantBlock, out);
  EXPECT_EQ(out[0], -8.0f);
  EXPECT_EQ(out[31], 7.5f);
}

TEST(GgufReader, RejectsBadAlignment) {
  GgufWriter writer;
  writer.SetMetadata("general.alignment", GgufUint32(24));
  EXPECT_THAT(OpenBytes(writer.Serialize()).message(), HasSubstr("power of two"));
}

TEST(GgufReader, SurvivesRandomByteFlips) {
  const std::string bytes = SmallFile();
  uint32_t state = 12345;
  for (int trial = 0; trial < 200; ++trial) {
    std::string damaged = bytes;
    for (int flips = 0; flips < 3; ++flips) {
      state = state * 1664525u + 1013904223u;
      damaged[(state >> 8) % damaged.size()] ^= static_cast<char>(1 + (state >> 24) % 255);
    }
    (void)OpenBytes(damaged);  // any outcome but a crash (ASan/UBSan would report one)
  }
}

// Model-level checks: metadata that disagrees with tensor shapes, other architectures and
// tokenizers.
class ModelValidation : public ::testing::Test {
 protected:
  // Rewrites the bard draft with `edit` applied to its writer, then loads it.
  template <typename Edit>
  absl::Status LoadEdited(Edit edit) {
    auto in = GgufFile::Open(testing::ModelPath("bard-draft-0.5m.gguf"));
    EXPECT_TRUE(in.ok());
    GgufWriter writer;
    EXPECT_TRUE(QuantizeModel(**in, TensorType::kF32, writer).ok());
    edit(writer);
    TempFile file("edited.gguf");
    EXPECT_TRUE(writer.WriteFile(file.path()).ok());
    return Model::Load(file.path()).status();
  }
};

TEST_F(ModelValidation, RejectsShapeMetadataMismatch) {
  const absl::Status status = LoadEdited(
      [](GgufWriter& w) { w.SetMetadata("llama.feed_forward_length", GgufUint32(300)); });
  EXPECT_THAT(status.message(), HasSubstr("blk.0.ffn_gate.weight"));
  EXPECT_THAT(status.message(), HasSubstr("implies [128, 300]"));
}

TEST_F(ModelValidation, RejectsOtherArchitectures) {
  const absl::Status status =
      LoadEdited([](GgufWriter& w) { w.SetMetadata("general.architecture", GgufString("gpt2")); });
  EXPECT_THAT(status.message(), HasSubstr("architecture 'gpt2'"));
  EXPECT_THAT(status.message(), HasSubstr("supported: llama"));
}

TEST_F(ModelValidation, RejectsOtherTokenizerModels) {
  const absl::Status status =
      LoadEdited([](GgufWriter& w) { w.SetMetadata("tokenizer.ggml.model", GgufString("bert")); });
  EXPECT_THAT(status.message(), HasSubstr("tokenizer model 'bert'"));
  EXPECT_THAT(status.message(), HasSubstr("supported: tokenizer.ggml.model = llama"));
}

TEST_F(ModelValidation, RejectsByteLevelBpeWithoutMergesOrWithAnUnknownPreTokenizer) {
  absl::Status status =
      LoadEdited([](GgufWriter& w) { w.SetMetadata("tokenizer.ggml.model", GgufString("gpt2")); });
  EXPECT_THAT(status.message(), HasSubstr("no tokenizer.ggml.merges"));
  status = LoadEdited([](GgufWriter& w) {
    w.SetMetadata("tokenizer.ggml.model", GgufString("gpt2"));
    w.SetMetadata("tokenizer.ggml.merges", GgufStringArray({"a b"}));
    w.SetMetadata("tokenizer.ggml.pre", GgufString("deepseek-coder"));
  });
  EXPECT_THAT(status.message(), HasSubstr("pre-tokenizer 'deepseek-coder'"));
  EXPECT_THAT(status.message(), HasSubstr("supported: gpt-2 (or gpt2), llama-bpe, qwen2"));
}

TEST_F(ModelValidation, RejectsBadHeadCounts) {
  const absl::Status status = LoadEdited(
      [](GgufWriter& w) { w.SetMetadata("llama.attention.head_count_kv", GgufUint32(3)); });
  EXPECT_THAT(status.message(), HasSubstr("head_count_kv 3"));
}

TEST_F(ModelValidation, RejectsMissingTensor) {
  auto in = GgufFile::Open(testing::ModelPath("bard-draft-0.5m.gguf"));
  GgufWriter writer;
  for (const auto& [key, value] : (*in)->metadata()) writer.SetMetadata(key, value);
  TempFile file("no_tensors.gguf");
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  EXPECT_THAT(Model::Load(file.path()).status().message(),
              HasSubstr("no tensor 'token_embd.weight'"));
}

TEST(ModelLoad, MissingFileIsNotFound) {
  auto model = Model::Load("/nonexistent/model.gguf");
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cascade::engine
