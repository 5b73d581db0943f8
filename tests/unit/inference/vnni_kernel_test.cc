// The Q8_0 / Q5_0 kernel for AVX-512 VNNI (kernels_vnni.cc): repacked weights times activations
// rounded to 8 bits. Its products against a double-precision reference that rounds the
// activations the same way; batches against one token at a time (the same bits); and how far
// the rounding moves it from the float-activation kernels. Skipped on CPUs without VNNI.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "services/inference/engine/kernels.h"
#include "services/inference/engine/rng.h"
#include "services/inference/engine/tensor_type.h"

namespace cascade::engine {
namespace {

constexpr int kRows = 48;   // three groups of 16
constexpr int kCols = 160;  // five blocks of 32

std::vector<float> RandomValues(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> values(n);
  for (float& v : values) v = static_cast<float>(rng.Uniform() * 2 - 1);
  return values;
}

class VnniTest : public ::testing::TestWithParam<TensorType> {
 protected:
  void SetUp() override {
    const TensorType type = GetParam();
    kernels_ = Avx512VnniKernels();
    if (kernels_ == nullptr) GTEST_SKIP() << "this CPU lacks AVX-512 VNNI";
    const auto values = RandomValues(static_cast<size_t>(kRows) * kCols, 3);
    const size_t row_bytes = RowBytes(type, kCols);
    bytes_.resize(row_bytes * kRows);
    dequantized_.resize(values.size());
    for (int r = 0; r < kRows; ++r) {
      QuantizeRow(type, &values[r * kCols], kCols, &bytes_[r * row_bytes]);
      DequantizeRow(type, &bytes_[r * row_bytes], kCols, &dequantized_[r * kCols]);
    }
    matrix_ = {type, kRows, kCols, bytes_.data(), row_bytes};
    ASSERT_TRUE(kernels_->pack(matrix_, packed_));
    matrix_.packed = packed_.data();
  }

  std::vector<float> Multiply(const std::vector<float>& x, int tokens, int64_t row_begin = 0,
                              int64_t row_end = kRows) const {
    std::vector<float> out(static_cast<size_t>(tokens) * kRows);
    kernels_->matmul(matrix_, row_begin, row_end, x.data(), tokens, out.data(), kRows);
    return out;
  }

  // The product with each block of 32 activations rounded as Q8_0 rounds weights: values
  // x / (max|x| / 127) to the nearest integer (ties to even), the scale max|x| / 127 stored as
  // a float16.
  double Reference(const float* x, int row) const {
    double sum = 0;
    for (int b = 0; b < kCols / kQuantBlock; ++b) {
      float amax = 0;
      for (int c = 0; c < kQuantBlock; ++c) amax = std::fmax(amax, std::fabs(x[b * 32 + c]));
      const float inverse = amax > 0 ? 1.0f / (amax / 127.0f) : 0.0f;
      const float scale = HalfToFloat(FloatToHalf(amax / 127.0f));
      for (int c = 0; c < kQuantBlock; ++c) {
        const double rounded = std::nearbyint(x[b * 32 + c] * inverse);
        sum += double{dequantized_[row * kCols + b * 32 + c]} * rounded * scale;
      }
    }
    return sum;
  }

  const Kernels* kernels_ = nullptr;
  std::vector<uint8_t> bytes_;
  std::vector<float> dequantized_;
  std::vector<uint8_t> packed_;
  Matrix matrix_;
};

TEST_P(VnniTest, ProductsMatchTheRoundedActivationReference) {
  const int tokens = 6;  // a tile of four and two single tokens
  auto x = RandomValues(static_cast<size_t>(tokens) * kCols, 9);
  for (int c = 0; c < kQuantBlock; ++c) x[c] = 0;  // a block of zeros: scale 0, no division
  x[kCols + 5] = 40;                               // one large value among small ones
  const auto out = Multiply(x, tokens);
  for (int t = 0; t < tokens; ++t) {
    for (int r = 0; r < kRows; ++r) {
      EXPECT_NEAR(out[t * kRows + r], Reference(&x[t * kCols], r), 1e-4) << "t" << t << " r" << r;
    }
  }
}

TEST_P(VnniTest, ABatchGivesTheBitsOfOneTokenAtATime) {
  const int tokens = 9;
  const auto x = RandomValues(static_cast<size_t>(tokens) * kCols, 11);
  const auto batch = Multiply(x, tokens);
  for (int t = 0; t < tokens; ++t) {
    const std::vector<float> one(x.begin() + t * kCols, x.begin() + (t + 1) * kCols);
    // Row ranges split at a group boundary, as the thread pool splits them.
    std::vector<float> single(kRows);
    kernels_->matmul(matrix_, 0, 16, one.data(), 1, single.data(), kRows);
    kernels_->matmul(matrix_, 16, kRows, one.data(), 1, single.data(), kRows);
    for (int r = 0; r < kRows; ++r) EXPECT_EQ(single[r], batch[t * kRows + r]) << t << " " << r;
  }
}

// The transformer rounds an input once for all the products that share it (quantize) and
// then runs each chunk on the rounded copy (matmul_quantized): the bits of matmul.
TEST_P(VnniTest, InputRoundedOnceGivesTheBitsOfTheMatmul) {
  const int tokens = 7;
  const auto x = RandomValues(static_cast<size_t>(tokens) * kCols, 17);
  const auto direct = Multiply(x, tokens);
  QuantizedActivations rounded;
  ASSERT_TRUE(kernels_->quantize(matrix_, x.data(), tokens, rounded));
  EXPECT_TRUE(rounded.has_q8_0);
  std::vector<float> out(static_cast<size_t>(tokens) * kRows);
  kernels_->matmul_quantized(matrix_, 0, 16, rounded, tokens, out.data(), kRows);
  kernels_->matmul_quantized(matrix_, 16, kRows, rounded, tokens, out.data(), kRows);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], direct[i]) << i;
  // Weights read in place (not packed, not a K-quant) take the floats: nothing is rounded.
  Matrix in_place = matrix_;
  in_place.packed = nullptr;
  QuantizedActivations none;
  EXPECT_FALSE(Avx512Kernels()->quantize(in_place, x.data(), tokens, none));
  EXPECT_FALSE(none.has_q8_0 || none.has_q8_k);
}

TEST_P(VnniTest, StaysWithinTheActivationRoundingOfTheFloatKernels) {
  const int tokens = 4;
  const auto x = RandomValues(static_cast<size_t>(tokens) * kCols, 13);
  const auto rounded = Multiply(x, tokens);
  Matrix in_place = matrix_;
  in_place.packed = nullptr;
  std::vector<float> exact(static_cast<size_t>(tokens) * kRows);
  Avx512Kernels()->matmul(in_place, 0, kRows, x.data(), tokens, exact.data(), kRows);
  double worst = 0;
  for (size_t i = 0; i < exact.size(); ++i)
    worst = std::fmax(worst, std::fabs(rounded[i] - exact[i]));
  // Each activation moves by at most half a step (max|x| / 254 <= 1/254), each weight is at most
  // 1: a bound of 160/254, and in practice far less as the errors cancel.
  EXPECT_GT(worst, 0) << "the activations were not rounded";
  EXPECT_LT(worst, 0.05);
}

TEST_P(VnniTest, OnlyWholeGroupsOfRowsOfQ8_0AndQ5_0ArePacked) {
  std::vector<uint8_t> packed;
  Matrix ragged = matrix_;
  ragged.rows = 40;
  EXPECT_FALSE(kernels_->pack(ragged, packed));
  const std::vector<float> values = RandomValues(static_cast<size_t>(kRows) * kCols, 5);
  const Matrix f32{TensorType::kF32, kRows, kCols, reinterpret_cast<const uint8_t*>(values.data()),
                   kCols * sizeof(float)};
  EXPECT_FALSE(kernels_->pack(f32, packed));
  // Q4_0 stays in place: packed to 8 bits it would double in size.
  std::vector<uint8_t> q4(RowBytes(TensorType::kQ4_0, kCols) * kRows);
  const Matrix q4_0{TensorType::kQ4_0, kRows, kCols, q4.data(), RowBytes(TensorType::kQ4_0, kCols)};
  EXPECT_FALSE(kernels_->pack(q4_0, packed));
}

INSTANTIATE_TEST_SUITE_P(PackedTypes, VnniTest,
                         ::testing::Values(TensorType::kQ8_0, TensorType::kQ5_0),
                         [](const ::testing::TestParamInfo<TensorType>& info) {
                           return GgmlTypeName(static_cast<uint32_t>(info.param));
                         });

}  // namespace
}  // namespace cascade::engine
