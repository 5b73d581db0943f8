#include "services/router/lib/linear_scorer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <utility>

#include "services/router/lib/hashed_embedder.h"

namespace cascade::router {
namespace {

const std::vector<std::string> kTexts = {"rain tomorrow",   "sunny weather",  "cold and windy",
                                         "pay the invoice", "refund my card", "bill overdue"};
const std::vector<int> kRoutes = {0, 0, 0, 1, 1, 1};

std::vector<float> Scores(const LinearScorer& scorer, const Embedder& embedder,
                          const std::string& text) {
  absl::StatusOr<Embeddings> e = embedder.Embed({text});
  EXPECT_TRUE(e.ok());
  std::vector<float> scores(2);
  const SparseVector* sparse = e->sparse.empty() ? nullptr : &e->sparse[0];
  scorer.Score({absl::MakeConstSpan(e->row(0), e->dimension), sparse, {}}, absl::MakeSpan(scores));
  return scores;
}

class LinearScorerTest : public ::testing::TestWithParam<size_t> {};

TEST_P(LinearScorerTest, LearnsTheRoutesAndGivesProbabilities) {
  HashedEmbedderOptions options;
  options.sparse_dimension = GetParam();  // 0: trains on the dense rows.
  auto embedder = HashedEmbedder::Fit(options, kTexts);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> exemplars = (*embedder)->Embed(kTexts);
  ASSERT_TRUE(exemplars.ok());
  auto scorer = LinearScorer::Train({}, *exemplars, kRoutes, 2);
  ASSERT_TRUE(scorer.ok()) << scorer.status();
  std::vector<float> weather = Scores(**scorer, **embedder, "windy and rain");
  std::vector<float> billing = Scores(**scorer, **embedder, "refund the invoice");
  EXPECT_NEAR(std::accumulate(weather.begin(), weather.end(), 0.0f), 1.0f, 1e-5f);
  EXPECT_GT(weather[0], 0.7f);
  EXPECT_GT(billing[1], 0.7f);

  auto again = LinearScorer::Train({}, *exemplars, kRoutes, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Scores(**again, **embedder, "windy and rain"), weather);  // Repeatable.
}

// L2 regularisation keeps the weights small: the same routes, less confident. l2 0 is
// exactly the unregularised training.
TEST_P(LinearScorerTest, L2ShrinksTheWeights) {
  HashedEmbedderOptions options;
  options.sparse_dimension = GetParam();
  auto embedder = HashedEmbedder::Fit(options, kTexts);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> exemplars = (*embedder)->Embed(kTexts);
  ASSERT_TRUE(exemplars.ok());
  auto plain = LinearScorer::Train({}, *exemplars, kRoutes, 2);
  ASSERT_TRUE(plain.ok());
  LinearScorerOptions zero;
  zero.l2 = 0.0;
  auto unregularised = LinearScorer::Train(zero, *exemplars, kRoutes, 2);
  ASSERT_TRUE(unregularised.ok());
  EXPECT_EQ(Scores(**unregularised, **embedder, "windy and rain"),
            Scores(**plain, **embedder, "windy and rain"));

  LinearScorerOptions regularised;
  regularised.l2 = 0.1;
  regularised.epochs = 50;  // Long enough for the shrinking to fold back in (scale < 1e-20).
  auto shrunk = LinearScorer::Train(regularised, *exemplars, kRoutes, 2);
  ASSERT_TRUE(shrunk.ok()) << shrunk.status();
  LinearScorerOptions long_plain;
  long_plain.epochs = 50;
  auto confident = LinearScorer::Train(long_plain, *exemplars, kRoutes, 2);
  ASSERT_TRUE(confident.ok());
  for (const auto& [text, route] : {std::pair<std::string, int>{"windy and rain", 0},
                                    std::pair<std::string, int>{"refund the invoice", 1}}) {
    const std::vector<float> with_l2 = Scores(**shrunk, **embedder, text);
    const std::vector<float> without = Scores(**confident, **embedder, text);
    EXPECT_GT(with_l2[route], 0.5f) << text;
    EXPECT_LT(with_l2[route], without[route]) << text;
  }
}

INSTANTIATE_TEST_SUITE_P(SparseAndDense, LinearScorerTest, ::testing::Values(16384, 0));

TEST(LinearScorerOptionsTest, RejectsBadL2) {
  auto embedder = HashedEmbedder::Fit({}, kTexts);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> exemplars = (*embedder)->Embed(kTexts);
  ASSERT_TRUE(exemplars.ok());
  for (double l2 : {-0.1, 2.0, std::nan("")}) {  // 2.0: learning_rate 0.5 * 2 = 1.
    LinearScorerOptions options;
    options.l2 = l2;
    EXPECT_EQ(LinearScorer::Train(options, *exemplars, kRoutes, 2).status().code(),
              absl::StatusCode::kInvalidArgument)
        << l2;
  }
}

TEST(LinearScorerSingleRouteTest, OneRouteAlwaysScoresOne) {
  auto embedder = HashedEmbedder::Fit({}, kTexts);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> exemplars = (*embedder)->Embed(kTexts);
  ASSERT_TRUE(exemplars.ok());
  auto scorer = LinearScorer::Train({}, *exemplars, std::vector<int>(6, 0), 1);
  ASSERT_TRUE(scorer.ok());
  std::vector<float> scores(1);
  (*scorer)->Score({}, absl::MakeSpan(scores));
  EXPECT_EQ(scores[0], 1.0f);
}

TEST(LinearScorerSingleRouteTest, RejectsMismatchedLabels) {
  auto embedder = HashedEmbedder::Fit({}, kTexts);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> exemplars = (*embedder)->Embed(kTexts);
  ASSERT_TRUE(exemplars.ok());
  EXPECT_FALSE(LinearScorer::Train({}, *exemplars, std::vector<int>(3, 0), 2).ok());
}

}  // namespace
}  // namespace cascade::router
