// RoPE: the rotation table (per-pair divisors, linear scaling), Llama 3.1's divisors, which values
// each style pairs up, and the GGUF metadata that selects them (refused when unsupported).
#include "services/inference/engine/rope.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/random_model.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;

ModelConfig Config(int rope_dims, float theta, int context_length = 8) {
  ModelConfig c;
  c.head_dim = rope_dims;
  c.rope_dims = rope_dims;
  c.rope_theta = theta;
  c.context_length = context_length;
  return c;
}

TEST(Rope, TableTurnsEachPairByPositionTimesFrequencyOverItsDivisor) {
  const std::vector<float> divisors = {1, 2, 4, 8};
  const std::vector<float> table = RopeTable(Config(8, 10000), divisors);
  ASSERT_EQ(table.size(), 8u * 4 * 2);
  const float* position3 = table.data() + 3 * 8;
  // Pair 1 at position 3: 3 * 10000^(-2/8) / 2 = 3 * 0.1 / 2 = 0.15 radians.
  EXPECT_NEAR(position3[2], 0.98877108f, 1e-6);  // cos 0.15
  EXPECT_NEAR(position3[3], 0.14943813f, 1e-6);  // sin 0.15
  // Pair 3: 3 * 10000^(-6/8) / 8 = 0.000375 radians.
  EXPECT_NEAR(position3[7], 0.000375f, 1e-7);
  // Position 0 does not turn.
  EXPECT_EQ(table[0], 1.0f);
  EXPECT_EQ(table[1], 0.0f);
}

TEST(Rope, WithoutDivisorsPairsTurnAtThetaPowers) {
  const std::vector<float> table = RopeTable(Config(8, 10000));
  const float* position3 = table.data() + 3 * 8;
  EXPECT_NEAR(position3[2], std::cos(0.3f), 1e-6);  // 3 * 10000^(-2/8)
  EXPECT_NEAR(position3[3], std::sin(0.3f), 1e-6);
}

TEST(Rope, LinearScalingMultipliesPositions) {
  ModelConfig scaled = Config(8, 10000);
  scaled.rope_position_scale = 0.25f;  // rope.scaling.factor 4
  const std::vector<float> plain = RopeTable(Config(8, 10000));
  const std::vector<float> table = RopeTable(scaled);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(table[4 * 8 + i], plain[1 * 8 + i], 1e-6) << "position 4 scaled is position 1";
  }
}

// Llama 3.1 8B: theta 500000, 128 rotated dimensions. Pairs with wavelengths under 8192 / 4 keep
// their frequency, over 8192 are slowed 8x, and between the two are blended.
TEST(Rope, Llama3DivisorsFollowThePublishedRule) {
  const std::vector<float> divisors = Llama3FrequencyDivisors(Config(128, 500000));
  ASSERT_EQ(divisors.size(), 64u);
  EXPECT_EQ(divisors[0], 1.0f);
  EXPECT_EQ(divisors[28], 1.0f);  // wavelength 1957
  EXPECT_EQ(divisors[35], 8.0f);  // wavelength 8221
  EXPECT_EQ(divisors[63], 8.0f);
  // Pair 31: wavelength 2 pi 500000^(62/128) = 3619.25; smooth = (8192 / 3619.25 - 1) / 3
  // = 0.42114; divisor = 1 / ((1 - smooth) / 8 + smooth) = 2.02631.
  EXPECT_NEAR(divisors[31], 2.02631f, 1e-4);
  for (size_t i = 1; i < divisors.size(); ++i) EXPECT_GE(divisors[i], divisors[i - 1]) << i;
}

// A quarter turn (cos 0, sin 1) maps (a, b) to (-b, a): shows which values make each pair.
TEST(Rope, AdjacentPairsAndHalvesRotateTheirOwnValues) {
  ModelConfig c = Config(4, 10000);
  c.head_dim = 6;  // the last two values of each head are not rotated
  const float quarter_turn[] = {0, 1, 0, 1};
  const std::vector<float> input = {1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16};

  c.architecture = Architecture::kLlama;  // (v0, v1), (v2, v3)
  std::vector<float> v = input;
  ApplyRope(c, quarter_turn, 2, v.data());
  EXPECT_EQ(v, (std::vector<float>{-2, 1, -4, 3, 5, 6, -12, 11, -14, 13, 15, 16}));

  c.architecture = Architecture::kQwen3;  // (v0, v2), (v1, v3)
  v = input;
  ApplyRope(c, quarter_turn, 2, v.data());
  EXPECT_EQ(v, (std::vector<float>{-3, -4, 1, 2, 5, 6, -13, -14, 11, 12, 15, 16}));
}

RandomModelSpec TinySpec() {
  RandomModelSpec spec;
  spec.config = {.dim = 32,
                 .layers = 1,
                 .heads = 2,
                 .kv_heads = 1,
                 .ffn_dim = 64,
                 .vocab_size = 300,
                 .context_length = 64,
                 .rope_theta = 500000};
  return spec;
}

TEST(Rope, ModelUsesTheFilesRopeFreqs) {
  testing::TempFile file("rope_freqs.gguf");
  RandomModelSpec spec = TinySpec();
  spec.llama3_rope_scaling = true;
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  const auto model = testing::LoadOrDie(file.path());
  const ModelConfig& c = model->config();
  const std::vector<float> expected = RopeTable(c, Llama3FrequencyDivisors(c));
  const std::vector<float> unscaled = RopeTable(c);
  const float* actual = model->rope_table(0);
  for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(actual[i], expected[i]) << i;
  // With head_dim 16 and theta 500000, the slowest pairs are divided: the table differs.
  EXPECT_NE(actual[(c.context_length - 1) * c.rope_dims + c.rope_dims - 1],
            unscaled[(c.context_length - 1) * c.rope_dims + c.rope_dims - 1]);
}

TEST(Rope, Llama3ScalingIsWrittenForLlamaOnly) {
  RandomModelSpec spec = TinySpec();
  spec.llama3_rope_scaling = true;
  spec.config.architecture = Architecture::kQwen2;
  GgufWriter writer;
  const absl::Status status = WriteRandomModel(spec, writer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("for architecture llama, not qwen2"));
}

// A tiny model with `edit` applied to its metadata, loaded.
template <typename Edit>
absl::StatusOr<std::shared_ptr<const Model>> LoadEdited(Edit edit) {
  testing::TempFile file("rope_metadata.gguf");
  GgufWriter writer;
  EXPECT_TRUE(WriteRandomModel(TinySpec(), writer).ok());
  edit(writer);
  EXPECT_TRUE(writer.WriteFile(file.path()).ok());
  return Model::Load(file.path());
}

TEST(Rope, LinearScalingIsReadFromTheMetadata) {
  auto model = LoadEdited([](GgufWriter& w) {
    w.SetMetadata("llama.rope.scaling.type", GgufString("linear"));
    w.SetMetadata("llama.rope.scaling.factor", GgufFloat32(4));
  });
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->config().rope_position_scale, 0.25f);
  // `none` ignores a factor, as llama.cpp does.
  model = LoadEdited([](GgufWriter& w) {
    w.SetMetadata("llama.rope.scaling.type", GgufString("none"));
    w.SetMetadata("llama.rope.scaling.factor", GgufFloat32(4));
  });
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->config().rope_position_scale, 1.0f);
}

TEST(Rope, UnsupportedScalingTypeIsRefusedNamingTheSupportedOnes) {
  auto model = LoadEdited(
      [](GgufWriter& w) { w.SetMetadata("llama.rope.scaling.type", GgufString("yarn")); });
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("llama.rope.scaling.type = 'yarn'"));
  EXPECT_THAT(model.status().message(), HasSubstr("supported: none, linear"));
}

TEST(Rope, RopeFreqsOfTheWrongSizeAreRefused) {
  auto model = LoadEdited([](GgufWriter& w) {
    std::vector<uint8_t> bytes(3 * sizeof(float), 0);
    ASSERT_TRUE(w.AddTensor("rope_freqs.weight", {3}, TensorType::kF32, std::move(bytes)).ok());
  });
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("rope_freqs.weight"));
  EXPECT_THAT(model.status().message(), HasSubstr("implies [8]"));
}

}  // namespace
}  // namespace cascade::engine
