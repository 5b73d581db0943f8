// The architectures beyond llama: qwen2 (Q/K/V biases) and qwen3 (QK-norm, its own head_dim),
// both rotating halves with RoPE. What a file must hold and the refusals that say what is
// missing; and for every architecture, a batched forward pass equals one token at a time.
#include <ostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/random_model.h"
#include "services/inference/engine/session.h"
#include "services/inference/engine/thread_pool.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;

RandomModelSpec Spec(Architecture architecture) {
  RandomModelSpec spec;
  spec.config = {.dim = 32,
                 .layers = 2,
                 .heads = 4,
                 .kv_heads = 2,
                 .ffn_dim = 64,
                 .vocab_size = 300,
                 .context_length = 128,
                 .rope_theta = 1000000,
                 .architecture = architecture};
  return spec;
}

// Writes the model of `spec` to `file`, leaving out the tensor named `without` (if any).
void WriteModel(const RandomModelSpec& spec, const testing::TempFile& file,
                const std::string& without = "") {
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  if (without.empty()) return;
  auto in = GgufFile::Open(file.path());
  ASSERT_TRUE(in.ok()) << in.status();
  GgufWriter copy;
  for (const auto& [key, value] : (*in)->metadata()) copy.SetMetadata(key, value);
  bool found = false;
  for (const GgufTensorInfo& tensor : (*in)->tensors()) {
    if (tensor.name == without) {
      found = true;
      continue;
    }
    ASSERT_TRUE(copy.AddTensor(tensor.name, tensor.dims, tensor.type,
                               std::vector<uint8_t>(tensor.data, tensor.data + tensor.byte_size))
                    .ok());
  }
  ASSERT_TRUE(found) << "the model has no " << without;
  ASSERT_TRUE(copy.WriteFile(file.path()).ok());
}

TEST(Qwen, Qwen2FileMissingABiasIsRefusedNamingIt) {
  testing::TempFile file("qwen2_no_bias.gguf");
  WriteModel(Spec(Architecture::kQwen2), file, "blk.1.attn_k.bias");
  auto model = Model::Load(file.path());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              HasSubstr("has no tensor 'blk.1.attn_k.bias', which a qwen2 model needs"));
}

TEST(Qwen, Qwen3FileMissingAQkNormIsRefusedNamingIt) {
  testing::TempFile file("qwen3_no_norm.gguf");
  WriteModel(Spec(Architecture::kQwen3), file, "blk.0.attn_q_norm.weight");
  auto model = Model::Load(file.path());
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(),
              HasSubstr("has no tensor 'blk.0.attn_q_norm.weight', which a qwen3 model needs"));
}

// A llama file with Q/K/V biases (llama.cpp reads them as optional) would give other logits
// if they were ignored: refused, naming the tensor.
TEST(Qwen, BiasesInAnArchitectureWithoutThemAreRefused) {
  testing::TempFile file("llama_with_bias.gguf");
  const RandomModelSpec spec = Spec(Architecture::kLlama);
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  const int q_dim = spec.config.dim;  // heads * (dim / heads)
  ASSERT_TRUE(writer
                  .AddTensor("blk.0.attn_q.bias", {q_dim}, TensorType::kF32,
                             std::vector<uint8_t>(q_dim * sizeof(float), 0))
                  .ok());
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  auto model = Model::Load(file.path());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("has tensor 'blk.0.attn_q.bias'"));
  EXPECT_THAT(model.status().message(), HasSubstr("for architecture llama"));
}

TEST(Qwen, Qwen3HeadDimMayDifferFromDimOverHeads) {
  testing::TempFile file("qwen3_head_dim.gguf");
  RandomModelSpec spec = Spec(Architecture::kQwen3);
  spec.config.head_dim = 16;  // dim / heads is 8
  WriteModel(spec, file);
  const auto model = testing::LoadOrDie(file.path());
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.architecture, Architecture::kQwen3);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.rope_dims, 16);
  EXPECT_EQ(c.q_dim(), 64);  // wider than dim: Wo maps it back
  EXPECT_EQ(model->layers()[0].query_norm.size(), 16u);
  EXPECT_EQ(model->layers()[0].attention_output.cols, 64);
}

TEST(Qwen, DifferentValueLengthIsRefused) {
  testing::TempFile file("qwen3_value_length.gguf");
  RandomModelSpec spec = Spec(Architecture::kQwen3);
  spec.config.head_dim = 16;
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  writer.SetMetadata("qwen3.attention.value_length", GgufUint32(8));
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  auto model = Model::Load(file.path());
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(),
              HasSubstr("qwen3.attention.value_length 8 unlike its key_length 16"));
}

TEST(Qwen, OtherArchitecturesAreRefusedListingTheSupportedOnes) {
  testing::TempFile file("qwen2moe.gguf");
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(Spec(Architecture::kQwen2), writer).ok());
  writer.SetMetadata("general.architecture", GgufString("qwen2moe"));
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  auto model = Model::Load(file.path());
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("architecture 'qwen2moe'"));
  EXPECT_THAT(model.status().message(), HasSubstr("supported: llama, qwen2, qwen3"));
}

// Each architecture's pass, fed a sequence in one batch, gives the logits it gives fed one token
// at a time (keys in the cache are biased, normalised and rotated exactly once).
struct ForwardCase {
  Architecture architecture;
};
void PrintTo(const ForwardCase& c, std::ostream* out) { *out << ArchitectureName(c.architecture); }

class ArchitectureForward : public ::testing::TestWithParam<ForwardCase> {};

TEST_P(ArchitectureForward, BatchedStepEqualsSequentialSteps) {
  const Architecture architecture = GetParam().architecture;
  testing::TempFile file("architecture_forward.gguf");
  RandomModelSpec spec = Spec(architecture);
  if (architecture == Architecture::kQwen3) spec.config.head_dim = 16;
  if (architecture == Architecture::kLlama) spec.llama3_rope_scaling = true;
  WriteModel(spec, file);
  const auto model = testing::LoadOrDie(file.path());
  ASSERT_EQ(model->config().architecture, architecture);
  const std::vector<int> sequence = {1, 17, 200, 45, 45, 3, 299, 120, 8, 64};
  const int n = static_cast<int>(sequence.size());
  ThreadPool pool(2);
  Session batched(model, pool);
  ASSERT_TRUE(batched.Forward(sequence, n).ok());
  Session sequential(model, pool);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(sequential.Forward({&sequence[i], 1}, 1).ok());
    const auto expected = sequential.logits(0);
    const auto actual = batched.logits(i);
    for (size_t v = 0; v < expected.size(); ++v) {
      ASSERT_NEAR(actual[v], expected[v], 1e-5) << "position " << i << " token " << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, ArchitectureForward,
                         ::testing::Values(ForwardCase{Architecture::kLlama},
                                           ForwardCase{Architecture::kQwen2},
                                           ForwardCase{Architecture::kQwen3}),
                         [](const ::testing::TestParamInfo<ForwardCase>& info) {
                           return std::string(ArchitectureName(info.param.architecture));
                         });

}  // namespace
}  // namespace cascade::engine
