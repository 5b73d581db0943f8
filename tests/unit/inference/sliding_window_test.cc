// Sliding-window attention, where a file declares ARCH.attention.sliding_window: each token
// attends to the last `window` positions, itself included. The window is read and shown; a
// window at least as long as the sequence changes nothing; past the window a one-layer model
// gives a token the logits it gives the window's tokens alone (attention depends on relative
// positions only); and a batched pass equals one token at a time across the window's edge.
#include <algorithm>
#include <cmath>
#include <memory>
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

const std::vector<int> kSequence = {1, 17, 200, 45, 45, 3, 299, 120, 8, 64};

// The same weights (the seed) with and without a window.
std::shared_ptr<const Model> WriteAndLoad(const testing::TempFile& file, int layers, int window) {
  RandomModelSpec spec;
  spec.config = {.dim = 32,
                 .layers = layers,
                 .heads = 4,
                 .kv_heads = 2,
                 .ffn_dim = 64,
                 .vocab_size = 300,
                 .context_length = 64,
                 .rope_theta = 10000,
                 .architecture = Architecture::kQwen2,
                 .sliding_window = window};
  GgufWriter writer;
  EXPECT_TRUE(WriteRandomModel(spec, writer).ok());
  EXPECT_TRUE(writer.WriteFile(file.path()).ok());
  return testing::LoadOrDie(file.path());
}

// The logits after each token of `tokens`, fed in one pass.
std::vector<std::vector<float>> AllLogits(const std::shared_ptr<const Model>& model,
                                          const std::vector<int>& tokens) {
  ThreadPool pool(2);
  Session session(model, pool);
  const int n = static_cast<int>(tokens.size());
  EXPECT_TRUE(session.Forward(tokens, n).ok());
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < n; ++i) {
    const auto row = session.logits(i);
    rows.emplace_back(row.begin(), row.end());
  }
  return rows;
}

TEST(SlidingWindow, TheFilesWindowIsReadAndShown) {
  testing::TempFile windowed("window_4.gguf"), plain("window_none.gguf");
  const auto model = WriteAndLoad(windowed, 2, 4);
  EXPECT_EQ(model->config().sliding_window, 4);
  EXPECT_THAT(model->config().ToString(), ::testing::HasSubstr("sliding window 4"));
  EXPECT_EQ(model->config().FirstAttendedPosition(2), 0);
  EXPECT_EQ(model->config().FirstAttendedPosition(3), 0);
  EXPECT_EQ(model->config().FirstAttendedPosition(4), 1);
  EXPECT_EQ(model->config().FirstAttendedPosition(9), 6);
  const auto without = WriteAndLoad(plain, 2, 0);
  EXPECT_EQ(without->config().sliding_window, 0);
  EXPECT_EQ(without->config().FirstAttendedPosition(9), 0);
  EXPECT_THAT(without->config().ToString(), ::testing::Not(::testing::HasSubstr("sliding")));
}

TEST(SlidingWindow, AWindowAsLongAsTheSequenceChangesNothing) {
  testing::TempFile windowed("window_10.gguf"), plain("window_off.gguf");
  const auto expected = AllLogits(WriteAndLoad(plain, 2, 0), kSequence);
  const auto actual =
      AllLogits(WriteAndLoad(windowed, 2, static_cast<int>(kSequence.size())), kSequence);
  EXPECT_EQ(actual, expected);
}

// One layer: a token's logits depend only on the tokens in its window and on their positions
// relative to it, so past the window they equal those of the window's tokens fed alone.
// Without the window they would not (the test fails if the window is ignored).
TEST(SlidingWindow, PastTheWindowATokenSeesOnlyTheWindow) {
  constexpr int kWindow = 3;
  testing::TempFile windowed("window_3.gguf"), plain("window_unset.gguf");
  const auto model = WriteAndLoad(windowed, 1, kWindow);
  const auto full = AllLogits(model, kSequence);
  const auto unwindowed = AllLogits(WriteAndLoad(plain, 1, 0), kSequence);
  for (int p = kWindow; p < static_cast<int>(kSequence.size()); ++p) {
    const std::vector<int> window(kSequence.begin() + p + 1 - kWindow, kSequence.begin() + p + 1);
    const std::vector<float> alone = AllLogits(model, window).back();
    float largest_change = 0;
    for (size_t v = 0; v < alone.size(); ++v) {
      // RoPE's rotations at other absolute positions round differently: not bit-exact.
      ASSERT_NEAR(full[p][v], alone[v], 1e-4) << "position " << p << " token " << v;
      largest_change = std::max(largest_change, std::abs(full[p][v] - unwindowed[p][v]));
    }
    EXPECT_GT(largest_change, 1e-3) << "position " << p << ": the window changed nothing";
  }
}

TEST(SlidingWindow, BatchedPassEqualsOneTokenAtATimeAcrossTheWindow) {
  testing::TempFile file("window_batched.gguf");
  const auto model = WriteAndLoad(file, 2, 4);
  const auto batched = AllLogits(model, kSequence);
  ThreadPool pool(2);
  Session sequential(model, pool);
  for (size_t i = 0; i < kSequence.size(); ++i) {
    ASSERT_TRUE(sequential.Forward({&kSequence[i], 1}, 1).ok());
    const auto expected = sequential.logits(0);
    for (size_t v = 0; v < expected.size(); ++v) {
      ASSERT_NEAR(batched[i][v], expected[v], 1e-5) << "position " << i << " token " << v;
    }
  }
}

}  // namespace
}  // namespace cascade::engine
