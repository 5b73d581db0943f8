#include "services/router/lib/knn_vote_scorer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace cascade::router {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;

// Exemplars 0-2 belong to route 0, 3-4 to route 1, 5 to route 2.
const std::vector<int> kExemplarRoutes = {0, 0, 0, 1, 1, 2};
// Route 1 has the single closest exemplar; route 0 has more close ones.
const std::vector<Neighbor> kNeighbors = {{3, 0.9f}, {0, 0.8f}, {1, 0.7f}, {2, 0.6f}, {4, 0.2f}};

std::vector<float> ScoresOf(VoteMode mode) {
  KnnVoteScorer scorer(kExemplarRoutes, mode);
  std::vector<float> scores(3);
  scorer.Score({{}, nullptr, kNeighbors}, absl::MakeSpan(scores));
  return scores;
}

// Route 2 has no neighbour: no evidence, 0 (not similarity -1).
TEST(KnnVoteScorerTest, MaxTakesTheClosestExemplar) {
  EXPECT_THAT(ScoresOf(VoteMode::kMax),
              ElementsAre(FloatNear(0.8f, 1e-6), FloatNear(0.9f, 1e-6), 0.0f));
}

TEST(KnnVoteScorerTest, MeanAveragesARoutesNeighbours) {
  EXPECT_THAT(ScoresOf(VoteMode::kMean),
              ElementsAre(FloatNear(0.7f, 1e-6), FloatNear(0.55f, 1e-6), 0.0f));
}

// With neighbours as little similar as 0 or less (dense embeddings can be), a route
// without one still ranks strictly below every route with one, and is not reported as -1.
TEST(KnnVoteScorerTest, RouteWithoutNeighboursRanksBelowEveryRouteWithOne) {
  const std::vector<std::vector<Neighbor>> cases = {
      {{3, 0.5f}, {0, 0.0f}},    // Route 0's only neighbour has similarity 0.
      {{3, -0.2f}, {0, -0.4f}},  // Every neighbour is dissimilar.
      {{3, 0.9f}, {0, 0.1f}},    // The usual case: positive similarities.
  };
  for (VoteMode mode : {VoteMode::kMax, VoteMode::kMean}) {
    for (const std::vector<Neighbor>& neighbors : cases) {
      KnnVoteScorer scorer(kExemplarRoutes, mode);
      std::vector<float> scores(3);
      scorer.Score({{}, nullptr, neighbors}, absl::MakeSpan(scores));
      SCOPED_TRACE(::testing::PrintToString(scores));
      EXPECT_LT(scores[2], scores[0]);
      EXPECT_LT(scores[2], scores[1]);
      EXPECT_LE(scores[2], 0.0f);
      EXPECT_GT(scores[2], -1.0f);
      // Close to the least similar neighbour, not to -1.
      EXPECT_NEAR(scores[2], std::min(0.0f, neighbors.back().similarity), 1e-6);
    }
  }
}

TEST(KnnVoteScorerTest, SumDividesByNeighboursSearched) {
  // Route 0: (0.8 + 0.7 + 0.6) / 5; route 1: (0.9 + 0.2) / 5.
  EXPECT_THAT(ScoresOf(VoteMode::kSum),
              ElementsAre(FloatNear(0.42f, 1e-6), FloatNear(0.22f, 1e-6), FloatNear(0.0f, 1e-6)));
}

TEST(KnnVoteScorerTest, NoNeighboursScoresNothing) {
  for (VoteMode mode : {VoteMode::kSum, VoteMode::kMean, VoteMode::kMax}) {
    KnnVoteScorer scorer(kExemplarRoutes, mode);
    std::vector<float> scores(3, 5.0f);
    scorer.Score({}, absl::MakeSpan(scores));
    EXPECT_THAT(scores, ElementsAre(0.0f, 0.0f, 0.0f));
  }
}

}  // namespace
}  // namespace cascade::router
