#include "services/router/lib/linear_scorer.h"

#include <gtest/gtest.h>

#include <numeric>

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

INSTANTIATE_TEST_SUITE_P(SparseAndDense, LinearScorerTest, ::testing::Values(16384, 0));

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
