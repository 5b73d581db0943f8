// The CUDA kernels' index arithmetic (services/inference/engine/cuda/index_math.h), checked on
// the CPU against the CPU engine's own layouts: CI has no GPU, so this is where the addressing
// of every kernel is tested. Each test enumerates the work items of a kernel and checks that
// they cover their output exactly once and land where the CPU code puts the same value.
#include <cmath>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "services/inference/engine/cuda/index_math.h"
#include "services/inference/engine/kernels.h"
#include "services/inference/engine/kv_cache.h"
#include "services/inference/engine/tensor_type.h"
#include "tests/unit/inference/test_models.h"

#if CASCADE_HAVE_CUDA
#include "services/inference/engine/cuda/device_weights.h"
#endif

namespace cascade::engine::cuda {
namespace {

TEST(CudaIndexMath, HalfBitsToFloatMatchesTheEngineForEveryValue) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float expected = HalfToFloat(static_cast<uint16_t>(bits));
    const float actual = HalfBitsToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual)) << bits;
    } else {
      ASSERT_EQ(expected, actual) << "half bits " << bits;
    }
  }
}

TEST(CudaIndexMath, KvOffsetIsTheCpuCacheLayout) {
  const int layers = 3, capacity = 17, kv_dim = 12;
  KvCache cache(layers, capacity, kv_dim);
  for (int l = 0; l < layers; ++l) {
    for (int p = 0; p < capacity; ++p) {
      EXPECT_EQ(cache.key(l, p) - cache.key(0, 0), KvOffset(l, p, capacity, kv_dim));
      EXPECT_EQ(cache.value(l, p) - cache.value(0, 0), KvOffset(l, p, capacity, kv_dim));
    }
  }
  // Large shapes do not overflow 32 bits (7B: 32 layers x 4096 positions x 4096).
  EXPECT_EQ(KvOffset(31, 4095, 4096, 4096), (31ll * 4096 + 4095) * 4096);
}

TEST(CudaIndexMath, GroupedQueryHeadsShareKvHeadsEvenly) {
  for (const auto& [heads, kv_heads] : {std::pair{8, 4}, {32, 32}, {32, 8}, {4, 1}}) {
    std::vector<int> readers(kv_heads);
    for (int h = 0; h < heads; ++h) {
      const int kv = KvHeadOf(h, heads, kv_heads);
      ASSERT_GE(kv, 0);
      ASSERT_LT(kv, kv_heads);
      EXPECT_EQ(kv, h / (heads / kv_heads));  // session.cc: (h / group) * head_dim
      ++readers[kv];
    }
    for (int count : readers) EXPECT_EQ(count, heads / kv_heads);
  }
}

TEST(CudaIndexMath, AttentionItemsCoverEveryTokenAndHeadOnce) {
  const int n = 9, heads = 8;
  std::set<std::pair<int, int>> seen;
  for (int item = 0; item < n * heads; ++item) {
    seen.insert({AttentionToken(item, heads), AttentionHead(item, heads)});
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(n * heads));
  EXPECT_EQ(seen.begin()->first, 0);
  EXPECT_EQ(seen.rbegin()->first, n - 1);
  // Causal: token t of a pass starting at 5 sees positions 0 .. 5 + t.
  EXPECT_EQ(VisiblePositions(5, 0), 6);
  EXPECT_EQ(VisiblePositions(0, 3), 4);
  // A sliding window of 4: position 8 (start 5, token 3) sees 5 .. 8; position 3, 0 .. 3.
  EXPECT_EQ(FirstVisiblePosition(5, 3, 4), 5);
  EXPECT_EQ(FirstVisiblePosition(0, 3, 4), 0);
  EXPECT_EQ(FirstVisiblePosition(0, 4, 4), 1);
  EXPECT_EQ(FirstVisiblePosition(5, 3, 0), 0);  // no window
  EXPECT_EQ(VisiblePositions(5, 3) - FirstVisiblePosition(5, 3, 4), 4);
}

// Adjacent pairs (llama) and halves (qwen2/qwen3): every rotated value of every head of every
// row is touched by exactly one work item, as rope.cc ApplyRope pairs them.
TEST(CudaIndexMath, RopeItemsRotateEachValueOfEachHeadOnce) {
  const int n = 3, heads = 4, head_dim = 16, rope_dims = 12;  // rope_dims < head_dim: partial
  const int pairs = rope_dims / 2;
  const int64_t stride = heads * head_dim + 5;  // rows need not be packed
  for (bool halves : {false, true}) {
    SCOPED_TRACE(halves ? "halves" : "adjacent pairs");
    const int partner = RopePartner(rope_dims, halves);
    EXPECT_EQ(partner, halves ? 6 : 1);
    std::set<int64_t> elements;
    for (int64_t item = 0; item < int64_t{n} * heads * pairs; ++item) {
      const RopeItem at = RopeItemOf(item, heads, pairs);
      ASSERT_LT(at.token, n);
      ASSERT_LT(at.head, heads);
      ASSERT_LT(at.pair, pairs);
      const int64_t element = RopeElement(at, stride, head_dim, halves);
      const int64_t head_start = at.token * stride + at.head * head_dim;
      // Pair i: values (2i, 2i + 1), or (i, i + rope_dims / 2).
      EXPECT_EQ(element - head_start, halves ? at.pair : 2 * at.pair);
      EXPECT_LT(element + partner - head_start, rope_dims);
      EXPECT_TRUE(elements.insert(element).second) << "item " << item << " repeats an element";
      EXPECT_TRUE(elements.insert(element + partner).second) << "item " << item;
    }
    EXPECT_EQ(elements.size(), static_cast<size_t>(n * heads * rope_dims));
  }
}

TEST(CudaIndexMath, RopeTableIndexIsTheModelsTable) {
  const auto model = testing::Target();
  const ModelConfig& c = model->config();
  const float* table = model->rope_table(0);
  for (int position : {0, 1, 7, c.context_length - 1}) {
    for (int pair = 0; pair < c.rope_dims / 2; ++pair) {
      EXPECT_EQ(table + RopeTableIndex(position, pair, c.rope_dims),
                model->rope_table(position) + 2 * pair);
    }
  }
}

// The F16 matmul: lane `lane` of a warp loads 8 halves at F16LaneColumn(step, lane). Over the
// steps of a row, the loads must tile the row exactly (columns a multiple of 8).
TEST(CudaIndexMath, F16LanesTileEveryRowExactlyOnce) {
  for (int64_t cols : {8, 256, 264, 704, 4096, 11008}) {
    std::vector<int> hits(cols, 0);
    const int64_t steps = CeilDiv(cols, kF16ColumnsPerStep);
    for (int64_t step = 0; step < steps; ++step) {
      for (int lane = 0; lane < kWarp; ++lane) {
        const int64_t col = F16LaneColumn(step, lane);
        if (col >= cols) continue;  // the kernel skips it
        ASSERT_LE(col + kF16PerLoad, cols) << "a load crosses the end of a row of " << cols;
        EXPECT_EQ(col % kF16PerLoad, 0);  // 16-byte aligned when rows are
        for (int j = 0; j < kF16PerLoad; ++j) ++hits[col + j];
      }
    }
    for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(hits[c], 1) << "column " << c << " of " << cols;
  }
}

TEST(CudaIndexMath, Q8LanesTakeEveryBlockExactlyOnce) {
  for (int64_t cols : {32, 256, 352, 4096, 11008}) {
    const int64_t blocks = cols / kQ8Block;
    std::vector<int> hits(blocks, 0);
    for (int64_t step = 0; step < CeilDiv(blocks, kWarp); ++step) {
      for (int lane = 0; lane < kWarp; ++lane) {
        const int64_t block = Q8LaneBlock(step, lane);
        if (block < blocks) ++hits[block];
      }
    }
    for (int64_t b = 0; b < blocks; ++b) ASSERT_EQ(hits[b], 1) << "block " << b;
  }
}

TEST(CudaIndexMath, WarpRowsCoverEveryRowOnce) {
  for (int64_t rows : {1, 7, 8, 9, 1024, 32000}) {
    const int warps = 8;
    std::vector<int> hits(rows, 0);
    for (int64_t block = 0; block < CeilDiv(rows, warps); ++block) {
      for (int warp = 0; warp < warps; ++warp) {
        const int64_t row = WarpRow(block, warps, warp);
        if (row < rows) ++hits[row];
      }
    }
    for (int64_t r = 0; r < rows; ++r) ASSERT_EQ(hits[r], 1) << "row " << r << " of " << rows;
  }
}

TEST(CudaIndexMath, TokenTilesCoverTheBatch) {
  for (int size : {1, kTokenTile}) {
    for (int n = 1; n <= 64; ++n) {
      int covered = 0;
      for (int first = 0; first < n; first += size) {
        const int tile = TileTokens(n, first, size);
        ASSERT_GT(tile, 0);
        ASSERT_LE(tile, size);
        EXPECT_EQ(first, covered);
        covered += tile;
      }
      EXPECT_EQ(covered, n);
    }
  }
}

// The device keeps Q8_0 as separate quants and scales; reading a weight through
// Q8QuantIndex/Q8ScaleIndex must give what the engine's own dequantisation gives.
TEST(CudaIndexMath, SplitQ8ReadsBackAsTheGgufBlocks) {
  const int64_t rows = 5, cols = 96;
  std::vector<float> source(rows * cols);
  for (size_t i = 0; i < source.size(); ++i) source[i] = std::sin(0.37 * i) * (1 + i % 7);
  const size_t row_bytes = RowBytes(TensorType::kQ8_0, cols);
  std::vector<uint8_t> blocks(rows * row_bytes);
  for (int64_t r = 0; r < rows; ++r) {
    QuantizeRow(TensorType::kQ8_0, source.data() + r * cols, cols, blocks.data() + r * row_bytes);
  }
  std::vector<int8_t> quants(rows * cols);
  std::vector<uint16_t> scales(rows * cols / kQ8Block);
#if CASCADE_HAVE_CUDA
  const Matrix matrix{TensorType::kQ8_0, rows, cols, blocks.data(), row_bytes};
  SplitQ8_0(matrix, quants.data(), scales.data());  // what the upload does
#else
  for (int64_t r = 0; r < rows; ++r) {  // the same, restated, in a build without CUDA
    const auto* row = reinterpret_cast<const BlockQ8_0*>(blocks.data() + r * row_bytes);
    for (int64_t col = 0; col < cols; ++col) {
      quants[Q8QuantIndex(r, col, cols)] = row[col / kQ8Block].q[col % kQ8Block];
      scales[Q8ScaleIndex(r, col, cols)] = row[col / kQ8Block].scale;
    }
  }
#endif
  std::vector<float> expected(cols);
  for (int64_t r = 0; r < rows; ++r) {
    DequantizeRow(TensorType::kQ8_0, blocks.data() + r * row_bytes, cols, expected.data());
    for (int64_t col = 0; col < cols; ++col) {
      // The embedding kernel's formula.
      const float value =
          quants[Q8QuantIndex(r, col, cols)] * HalfBitsToFloat(scales[Q8ScaleIndex(r, col, cols)]);
      ASSERT_EQ(value, expected[col]) << r << "," << col;
    }
  }
}

// Forward's chunking: the CPU Session's arithmetic, restated, must agree; and every logits row
// is written exactly once, by the token it belongs to.
TEST(CudaIndexMath, ChunkLogitsWriteEachRowOnceForItsToken) {
  const int batch = 64;
  for (int n : {1, 5, 63, 64, 65, 130, 200}) {
    for (int logit_rows = 0; logit_rows <= std::min(n, batch); ++logit_rows) {
      std::vector<int> token_of_row(logit_rows, -1);
      for (int begin = 0; begin < n; begin += batch) {
        const int end = std::min(n, begin + batch);
        const ChunkLogits chunk = ChunkLogitsOf(n, logit_rows, begin, end);
        // session.cc
        const int first_with_logits = n - logit_rows;
        const int logit_from = std::max(first_with_logits, begin);
        ASSERT_EQ(chunk.from, std::min(logit_from, end) - begin);
        ASSERT_EQ(chunk.first_row, std::max(0, logit_from - first_with_logits));
        for (int i = chunk.from; i < end - begin; ++i) {
          const int row = chunk.first_row + (i - chunk.from);
          ASSERT_LT(row, logit_rows);
          ASSERT_EQ(token_of_row[row], -1) << "row " << row << " written twice";
          token_of_row[row] = begin + i;
        }
      }
      for (int row = 0; row < logit_rows; ++row) {
        ASSERT_EQ(token_of_row[row], n - logit_rows + row) << "n=" << n << " rows=" << logit_rows;
      }
    }
  }
}

TEST(CudaIndexMath, HashUniformIsInRangeAndCentred) {
  double sum = 0;
  const int count = 100000;
  for (int i = 0; i < count; ++i) {
    const float value = HashUniform(42, i);
    ASSERT_GE(value, -1.0f);
    ASSERT_LT(value, 1.0f);
    sum += value;
  }
  EXPECT_NEAR(sum / count, 0.0, 0.01);
  EXPECT_NE(HashUniform(1, 0), HashUniform(2, 0));
  EXPECT_EQ(HashUniform(3, 9), HashUniform(3, 9));
}

}  // namespace
}  // namespace cascade::engine::cuda
