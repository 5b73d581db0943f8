// K-quants: the block layouts worked by hand, quantization error, the shared integer matmul
// against a reference, and the recipes cascade-quantize follows.
#include "services/inference/engine/k_quants.h"

#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/kernels.h"
#include "services/inference/engine/quantize.h"
#include "services/inference/engine/rng.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;

std::vector<float> RandomValues(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> values(n);
  for (float& v : values) v = static_cast<float>(rng.Uniform() * 2 - 1);
  return values;
}

TEST(KQuants, Q4_KLayoutByHand) {
  BlockQ4_K block{};
  block.d = FloatToHalf(0.5f);
  block.dmin = FloatToHalf(0.25f);
  // Sub-block 5 (j >= 4): scale 37 = 0b100101 -> low nibble 5 in byte 9, top bits 2 in byte 1;
  // min 18 = 0b010010 -> high nibble 2 in byte 9, top bits 1 in byte 5.
  block.scales[9] = 0x25;
  block.scales[1] = 2 << 6;
  block.scales[5] = 1 << 6;
  // Weight 2*64 + 32 + 3 = 163 (chunk 2's high nibble, l = 3) is in sub-block 5.
  block.qs[32 * 2 + 3] = 0xB0;  // q = 11
  float out[kSuperBlock];
  DequantizeKBlock(TensorType::kQ4_K, reinterpret_cast<const uint8_t*>(&block), out);
  EXPECT_FLOAT_EQ(out[163], 0.5f * 37 * 11 - 0.25f * 18);
  EXPECT_FLOAT_EQ(out[160], -0.25f * 18);  // same sub-block, q = 0: only the min
  EXPECT_FLOAT_EQ(out[0], 0.0f);           // sub-block 0: scale 0, min 0
}

TEST(KQuants, Q6_KLayoutByHand) {
  BlockQ6_K block{};
  block.d = FloatToHalf(2.0f);
  // Weight 128 + 64 + 5 (second half, l = 5, the ql high nibble with qh bits 4-5), sub-block
  // scale index 8 + 0 + 4 = 12.
  block.ql[64 + 5] = 0x70;    // low 4 bits 7
  block.qh[32 + 5] = 2 << 4;  // high 2 bits 2 -> q = 7 + 32 = 39, weight q - 32 = 7
  block.scales[12] = -3;
  float out[kSuperBlock];
  DequantizeKBlock(TensorType::kQ6_K, reinterpret_cast<const uint8_t*>(&block), out);
  EXPECT_FLOAT_EQ(out[128 + 64 + 5], 2.0f * -3 * 7);
  EXPECT_FLOAT_EQ(out[0], 0.0f);  // scale 0
}

TEST(KQuants, QuantizationErrorShrinksWithTheBits) {
  const auto values = RandomValues(4 * kSuperBlock, 5);
  double previous = 1;
  for (TensorType type : {TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K}) {
    std::vector<uint8_t> bytes(RowBytes(type, values.size()));
    std::vector<float> back(values.size());
    QuantizeRow(type, values.data(), values.size(), bytes.data());
    DequantizeRow(type, bytes.data(), values.size(), back.data());
    double squared = 0;
    for (size_t i = 0; i < values.size(); ++i) squared += std::pow(back[i] - values[i], 2);
    const double rms = std::sqrt(squared / values.size());
    // Uniform values in [-1, 1]: a step of 2/15 (Q4_K) gives rms ~0.04, 2/31 ~0.02, 1/32 ~0.01.
    EXPECT_LT(rms, type == TensorType::kQ4_K   ? 0.06
                   : type == TensorType::kQ5_K ? 0.03
                                               : 0.015)
        << GgmlTypeName(static_cast<uint32_t>(type));
    EXPECT_LT(rms, previous);
    previous = rms;
  }
}

TEST(KQuants, Q8_KActivationsKeepTheExtremeExact) {
  auto x = RandomValues(kSuperBlock, 9);
  x[17] = -3.0f;
  BlockQ8_K block;
  QuantizeRowQ8_K(x.data(), kSuperBlock, &block);
  EXPECT_EQ(block.qs[17], -127);  // the extreme maps to -127
  EXPECT_FLOAT_EQ(block.d * block.qs[17], -3.0f);
  int sum = 0;
  for (int i = 0; i < 16; ++i) sum += block.qs[16 + i];
  EXPECT_EQ(block.bsums[1], sum);
}

TEST(KQuants, Avx512ActivationsAreTheScalarOnesToTheBit) {
  if (Avx512Kernels() == nullptr) GTEST_SKIP() << "this CPU lacks AVX-512";
  auto values = RandomValues(4 * kSuperBlock, 13);
  values[3] = 2.5f;  // block 0: the extreme's magnitude twice, the negative one first
  values[1] = -2.5f;
  for (int i = 0; i < kSuperBlock; ++i) values[kSuperBlock + i] = 0;  // block 1: all zero
  // Block 3: the scale is exactly 32 and every other value lands on a half: ties go to even.
  for (int i = 0; i < kSuperBlock; ++i) values[3 * kSuperBlock + i] = (2.0f * (i % 9) - 9) / 64;
  values[3 * kSuperBlock] = -127.0f / 32;
  std::vector<BlockQ8_K> scalar(4), vector(4);
  QuantizeRowQ8_K(values.data(), 3 * kSuperBlock, scalar.data());
  QuantizeRowQ8_KAvx512(values.data(), 3 * kSuperBlock, vector.data());
  QuantizeRowQ8_K(values.data() + 3 * kSuperBlock, kSuperBlock, &scalar[3]);
  QuantizeRowQ8_KAvx512(values.data() + 3 * kSuperBlock, kSuperBlock, &vector[3]);
  for (int b = 0; b < 4; ++b) {
    EXPECT_EQ(std::memcmp(&scalar[b], &vector[b], sizeof(BlockQ8_K)), 0) << "block " << b;
  }
  EXPECT_EQ(scalar[0].qs[1], -127);  // the first extreme, -2.5, maps to -127 ...
  EXPECT_EQ(scalar[0].qs[3], 127);   // ... and the later 2.5 to 127
  EXPECT_EQ(scalar[1].d, 0);
  EXPECT_EQ(scalar[3].qs[1], -4);  // -7/64 * 32 = -3.5 rounds to -4; 0.5 rounds to 0
  EXPECT_EQ(scalar[3].qs[5], 0);
}

class KQuantMatmul : public ::testing::TestWithParam<TensorType> {};

TEST_P(KQuantMatmul, KernelsAgreeWithTheIntegerReference) {
  const TensorType type = GetParam();
  const int rows = 7, cols = 2 * kSuperBlock, tokens = 5;
  const auto values = RandomValues(static_cast<size_t>(rows) * cols, 11);
  const size_t row_bytes = RowBytes(type, cols);
  std::vector<uint8_t> bytes(row_bytes * rows);
  std::vector<float> weights(values.size());
  for (int r = 0; r < rows; ++r) {
    QuantizeRow(type, &values[r * cols], cols, &bytes[r * row_bytes]);
    DequantizeRow(type, &bytes[r * row_bytes], cols, &weights[r * cols]);
  }
  const Matrix w{type, rows, cols, bytes.data(), row_bytes};
  const auto x = RandomValues(static_cast<size_t>(tokens) * cols, 12);

  std::vector<std::vector<float>> results;
  std::vector<const Kernels*> sets = {&ScalarKernels()};
  if (Avx2Kernels() != nullptr) sets.push_back(Avx2Kernels());
  if (Avx512Kernels() != nullptr) sets.push_back(Avx512Kernels());
  for (const Kernels* kernels : sets) {
    std::vector<float> out(static_cast<size_t>(tokens) * rows);
    kernels->matmul(w, 0, rows, x.data(), tokens, out.data(), rows);
    for (int t = 0; t < tokens; ++t) {
      // The reference: dequantized weights times the Q8_K-rounded activations, in doubles.
      std::vector<BlockQ8_K> q8(cols / kSuperBlock);
      QuantizeRowQ8_K(&x[t * cols], cols, q8.data());
      for (int r = 0; r < rows; ++r) {
        double expected = 0;
        for (int c = 0; c < cols; ++c) {
          const BlockQ8_K& block = q8[c / kSuperBlock];
          expected += double{weights[r * cols + c]} * block.d * block.qs[c % kSuperBlock];
        }
        EXPECT_NEAR(out[t * rows + r], expected, 1e-3) << kernels->name;
      }
      std::vector<float> single(rows);
      kernels->matmul(w, 0, rows, &x[t * cols], 1, single.data(), rows);
      for (int r = 0; r < rows; ++r) EXPECT_EQ(single[r], out[t * rows + r]) << kernels->name;
    }
    // The input rounded once (as Transformer::Matmuls does for all products that share it),
    // then read in two row ranges: the same bits.
    QuantizedActivations rounded;
    ASSERT_TRUE(kernels->quantize(w, x.data(), tokens, rounded)) << kernels->name;
    EXPECT_TRUE(rounded.has_q8_k);
    std::vector<float> from_rounded(out.size());
    kernels->matmul_quantized(w, 0, 3, rounded, tokens, from_rounded.data(), rows);
    kernels->matmul_quantized(w, 3, rows, rounded, tokens, from_rounded.data(), rows);
    EXPECT_EQ(from_rounded, out) << kernels->name;
    if (kernels != Avx512Kernels()) results.push_back(out);
  }
  // The scalar and AVX2 kernels take the same float steps; the AVX-512 one sums super-blocks
  // in sixteen lanes (checked against the reference above).
  for (const auto& result : results) EXPECT_EQ(result, results.front());
}

INSTANTIATE_TEST_SUITE_P(KTypes, KQuantMatmul,
                         ::testing::Values(TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K),
                         [](const ::testing::TestParamInfo<TensorType>& info) {
                           return GgmlTypeName(static_cast<uint32_t>(info.param));
                         });

TEST(QuantizationRecipe, MixedFilesGiveTheImportantMatricesSixBits) {
  auto recipe = RecipeFromName("q4_k_m");
  ASSERT_TRUE(recipe.ok());
  EXPECT_EQ(recipe->file_type, 15u);
  // 16 layers: the first and last two, and every third between (llama.cpp's rule).
  EXPECT_EQ(TypeForTensor(*recipe, "blk.0.attn_v.weight", 4096, 16), TensorType::kQ6_K);
  EXPECT_EQ(TypeForTensor(*recipe, "blk.2.attn_v.weight", 4096, 16), TensorType::kQ4_K);
  EXPECT_EQ(TypeForTensor(*recipe, "blk.4.ffn_down.weight", 4096, 16), TensorType::kQ6_K);
  EXPECT_EQ(TypeForTensor(*recipe, "blk.15.ffn_down.weight", 4096, 16), TensorType::kQ6_K);
  EXPECT_EQ(TypeForTensor(*recipe, "blk.2.attn_q.weight", 4096, 16), TensorType::kQ4_K);
  EXPECT_EQ(TypeForTensor(*recipe, "output.weight", 4096, 16), TensorType::kQ6_K);
  EXPECT_EQ(TypeForTensor(*recipe, "token_embd.weight", 4096, 16), TensorType::kQ4_K);
  // Rows that are no multiple of 256 fall back as llama.cpp's do: Q4_K to Q5_0, Q6_K to Q8_0 ...
  EXPECT_EQ(TypeForTensor(*recipe, "blk.2.attn_q.weight", 704, 16), TensorType::kQ5_0);
  EXPECT_EQ(TypeForTensor(*recipe, "output.weight", 704, 16), TensorType::kQ8_0);
  auto q5_k_m = RecipeFromName("q5_k_m");
  ASSERT_TRUE(q5_k_m.ok());
  EXPECT_EQ(TypeForTensor(*q5_k_m, "blk.2.attn_q.weight", 704, 16), TensorType::kQ5_1);
  // ... or to the one type --fallback names.
  recipe->fallback = TensorType::kF16;
  EXPECT_EQ(TypeForTensor(*recipe, "output.weight", 704, 16), TensorType::kF16);
  EXPECT_EQ(TypeForTensor(*recipe, "blk.2.attn_q.weight", 704, 16), TensorType::kF16);
}

TEST(QuantizationRecipe, UnknownNameListsTheKnownOnes) {
  auto recipe = RecipeFromName("q3_k_s");
  ASSERT_FALSE(recipe.ok());
  EXPECT_THAT(recipe.status().message(), HasSubstr("unknown type 'q3_k_s'"));
  EXPECT_THAT(recipe.status().message(), HasSubstr("q4_k_m"));
}

}  // namespace
}  // namespace cascade::engine
