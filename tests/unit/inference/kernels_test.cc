// Kernels: every weight type, SIMD against scalar against a double-precision reference; float16
// conversion; the thread pool's work split.
#include "services/inference/engine/kernels.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "services/inference/engine/rng.h"
#include "services/inference/engine/tensor_type.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::engine {
namespace {

TEST(Float16, KnownValues) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);               // rounds past the largest half: inf
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie: to even
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
}

TEST(Float16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(FloatToHalf(f), h) << std::hex << h;
  }
}

std::vector<float> RandomValues(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> values(n);
  for (float& v : values) v = static_cast<float>(rng.Uniform() * 2 - 1);
  return values;
}

struct Quantized {
  Matrix matrix;
  std::vector<uint8_t> bytes;
  std::vector<float> dequantized;  // what the kernels should multiply with
};

Quantized MakeMatrix(TensorType type, int rows, int cols) {
  Quantized q;
  const auto values = RandomValues(static_cast<size_t>(rows) * cols, 42);
  const size_t row_bytes = RowBytes(type, cols);
  q.bytes.resize(row_bytes * rows);
  q.dequantized.resize(values.size());
  for (int r = 0; r < rows; ++r) {
    QuantizeRow(type, &values[r * cols], cols, &q.bytes[r * row_bytes]);
    DequantizeRow(type, &q.bytes[r * row_bytes], cols, &q.dequantized[r * cols]);
  }
  q.matrix = {type, rows, cols, q.bytes.data(), row_bytes};
  return q;
}

// Every kernel set this CPU can run.
std::vector<const Kernels*> AllKernels() {
  std::vector<const Kernels*> all = {&ScalarKernels()};
  if (Avx2Kernels() != nullptr) all.push_back(Avx2Kernels());
  if (Avx512Kernels() != nullptr) all.push_back(Avx512Kernels());
  return all;
}

class MatmulTest : public ::testing::TestWithParam<TensorType> {};

TEST_P(MatmulTest, KernelsAgreeWithReference) {
  const TensorType type = GetParam();
  const bool quantized = BlockElements(type) == kQuantBlock;
  const int rows = 37;                   // not a multiple of the 4-row groups
  const int cols = quantized ? 96 : 70;  // 70: not a multiple of the vector width
  // Two 4-token tiles and two single tokens; at least 8, so that block-quantized rows are also
  // dequantized once for the whole batch (AVX-512).
  const int tokens = 10;
  const Quantized w = MakeMatrix(type, rows, cols);
  const auto x = RandomValues(static_cast<size_t>(tokens) * cols, 7);

  for (const Kernels* kernels : AllKernels()) {
    std::vector<float> out(static_cast<size_t>(tokens) * rows);
    kernels->matmul(w.matrix, 0, rows, x.data(), tokens, out.data(), rows);
    for (int t = 0; t < tokens; ++t) {
      for (int r = 0; r < rows; ++r) {
        double expected = 0;
        for (int c = 0; c < cols; ++c) {
          expected += double{w.dequantized[r * cols + c]} * x[t * cols + c];
        }
        EXPECT_NEAR(out[t * rows + r], expected, 1e-4) << kernels->name << " t" << t << " r" << r;
      }
    }
    // One token at a time, and split row ranges, give the same bits as the batch.
    for (int t = 0; t < tokens; ++t) {
      std::vector<float> single(rows);
      kernels->matmul(w.matrix, 0, 5, &x[t * cols], 1, single.data(), rows);
      kernels->matmul(w.matrix, 5, rows, &x[t * cols], 1, single.data(), rows);
      for (int r = 0; r < rows; ++r) EXPECT_EQ(single[r], out[t * rows + r]) << kernels->name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulTest,
                         ::testing::Values(TensorType::kF32, TensorType::kF16, TensorType::kQ8_0,
                                           TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0,
                                           TensorType::kQ5_1),
                         [](const ::testing::TestParamInfo<TensorType>& info) {
                           return GgmlTypeName(static_cast<uint32_t>(info.param));
                         });

TEST(Kernels, DotAndAddScaled) {
  const auto a = RandomValues(45, 1);
  const auto b = RandomValues(45, 2);
  double expected = 0;
  for (int i = 0; i < 45; ++i) expected += double{a[i]} * b[i];
  for (const Kernels* kernels : AllKernels()) {
    EXPECT_NEAR(kernels->dot(a.data(), b.data(), 45), expected, 1e-5);
    std::vector<float> y(b);
    kernels->add_scaled(y.data(), a.data(), 0.5f, 45);
    for (int i = 0; i < 45; ++i) EXPECT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]);
  }
}

// Attention's loops give the bits of the dot and add_scaled calls they replace, for the head
// widths kept in registers (64, 128) and any other (45).
TEST(Kernels, ScoresAndWeightedSumMatchDotAndAddScaled) {
  constexpr int kPositions = 9;
  for (int dim : {64, 128, 45}) {
    const int stride = 2 * dim + 3;  // heads side by side in the cache
    const auto q = RandomValues(dim, 4);
    const auto cache = RandomValues(static_cast<size_t>(stride) * kPositions, 5);
    const auto weights = RandomValues(kPositions, 6);
    for (const Kernels* kernels : AllKernels()) {
      std::vector<float> scores(kPositions);
      kernels->scores(q.data(), cache.data() + 1, stride, kPositions, dim, 0.125f, scores.data());
      std::vector<float> sum(dim, 99.0f);  // overwritten, not added to
      kernels->weighted_sum(weights.data(), cache.data() + 1, stride, kPositions, dim, sum.data());
      std::vector<float> expected_sum(dim, 0.0f);
      for (int p = 0; p < kPositions; ++p) {
        const float* row = cache.data() + 1 + p * stride;
        EXPECT_EQ(scores[p], kernels->dot(q.data(), row, dim) * 0.125f)
            << kernels->name << " " << dim;
        kernels->add_scaled(expected_sum.data(), row, weights[p], dim);
      }
      EXPECT_EQ(sum, expected_sum) << kernels->name << " " << dim;
    }
  }
}

TEST(Quantization, ErrorsAreWithinTheFormatsResolution) {
  const auto values = RandomValues(64, 3);
  for (TensorType type : {TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                          TensorType::kQ5_0, TensorType::kQ5_1}) {
    std::vector<uint8_t> bytes(RowBytes(type, 64));
    std::vector<float> back(64);
    QuantizeRow(type, values.data(), 64, bytes.data());
    DequantizeRow(type, bytes.data(), 64, back.data());
    // Half a quantization step for Q8_0 (max|x| / 127), plus slack for the float16 scale. Q4_0
    // maps the extreme to -8 steps, so values of the other sign clip at +7: up to a full step;
    // Q5_0 the same at -16 / +15. Q4_1 and Q5_1 span the block's range in 15 and 31 steps:
    // half a step (values in [-1, 1]).
    const double tolerance = type == TensorType::kF16    ? 1e-3
                             : type == TensorType::kQ8_0 ? 5e-3
                             : type == TensorType::kQ4_0 ? 0.13
                             : type == TensorType::kQ4_1 ? 0.07
                             : type == TensorType::kQ5_0 ? 0.065
                                                         : 0.035;
    for (int i = 0; i < 64; ++i) {
      EXPECT_NEAR(back[i], values[i], tolerance) << GgmlTypeName(static_cast<uint32_t>(type));
    }
  }
}

// One Q5_0 and one Q5_1 block worked by hand: the fifth bits of elements 0 and 17 set.
TEST(Quantization, FiveBitLayoutsByHand) {
  std::vector<uint8_t> q5_0(sizeof(BlockQ5_0), 0);
  const uint16_t half = FloatToHalf(0.5f);
  std::memcpy(q5_0.data(), &half, 2);
  const uint32_t bits = (1u << 0) | (1u << 17);
  std::memcpy(q5_0.data() + 2, &bits, 4);
  q5_0[6] = 0x3F;  // q[0]: element 0 low nibble 15, element 16 high nibble 3
  q5_0[7] = 0x02;  // q[1]: element 1 = 2, element 17 = 0 (+16 from its fifth bit)
  std::vector<float> out(kQuantBlock);
  DequantizeRow(TensorType::kQ5_0, q5_0.data(), kQuantBlock, out.data());
  EXPECT_EQ(out[0], 0.5f * (31 - 16));
  EXPECT_EQ(out[1], 0.5f * (2 - 16));
  EXPECT_EQ(out[16], 0.5f * (3 - 16));
  EXPECT_EQ(out[17], 0.5f * (16 - 16));
  EXPECT_EQ(out[2], 0.5f * -16);

  std::vector<uint8_t> q5_1(sizeof(BlockQ5_1), 0);
  const uint16_t min = FloatToHalf(-1.0f);
  std::memcpy(q5_1.data(), &half, 2);
  std::memcpy(q5_1.data() + 2, &min, 2);
  std::memcpy(q5_1.data() + 4, &bits, 4);
  q5_1[8] = 0x3F;
  DequantizeRow(TensorType::kQ5_1, q5_1.data(), kQuantBlock, out.data());
  EXPECT_EQ(out[0], 0.5f * 31 - 1);
  EXPECT_EQ(out[16], 0.5f * 3 - 1);
  EXPECT_EQ(out[17], 0.5f * 16 - 1);
  EXPECT_EQ(out[1], -1.0f);
}

// A Q4_1 block by hand: element j's level in q[j]'s low nibble, element j + 16's in its high.
TEST(Quantization, Q4_1LayoutByHand) {
  std::vector<uint8_t> q4_1(sizeof(BlockQ4_1), 0);
  const uint16_t scale = FloatToHalf(0.25f);
  const uint16_t min = FloatToHalf(-2.0f);
  std::memcpy(q4_1.data(), &scale, 2);
  std::memcpy(q4_1.data() + 2, &min, 2);
  q4_1[4] = 0x3F;  // q[0]: element 0 = 15, element 16 = 3
  q4_1[5] = 0xA0;  // q[1]: element 1 = 0, element 17 = 10
  std::vector<float> out(kQuantBlock);
  DequantizeRow(TensorType::kQ4_1, q4_1.data(), kQuantBlock, out.data());
  EXPECT_EQ(out[0], 0.25f * 15 - 2);
  EXPECT_EQ(out[16], 0.25f * 3 - 2);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[17], 0.25f * 10 - 2);
  // Quantizing it back gives the same bytes: the minimum and range / 15 are exact here.
  std::vector<uint8_t> again(sizeof(BlockQ4_1));
  QuantizeRow(TensorType::kQ4_1, out.data(), kQuantBlock, again.data());
  EXPECT_EQ(again, q4_1);
}

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 5, 16, 17, 100, 1000}) {
      for (int64_t grain : {1, 4, 16}) {
        std::vector<std::atomic<int>> hits(n);
        pool.ParallelFor(n, grain, [&](int64_t begin, int64_t end, int thread) {
          EXPECT_LT(thread, threads);
          for (int64_t i = begin; i < end; ++i) hits[i]++;
        });
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << n << " " << grain;
      }
    }
  }
}

TEST(ThreadPool, SurvivesManyQuickJobs) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  for (int job = 0; job < 3000; ++job) {
    pool.ParallelFor(64, 4, [&](int64_t begin, int64_t end, int) { total += end - begin; });
  }
  EXPECT_EQ(total.load(), 3000 * 64);
}

}  // namespace
}  // namespace cascade::engine
