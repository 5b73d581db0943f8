#include "services/router/lib/knn_vote_scorer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

TEST(KnnVoteScorerTest, MaxTakesTheClosestExemplar) {
  EXPECT_THAT(ScoresOf(VoteMode::kMax),
              ElementsAre(FloatNear(0.8f, 1e-6), FloatNear(0.9f, 1e-6), FloatNear(-1.0f, 1e-6)));
}

TEST(KnnVoteScorerTest, MeanAveragesARoutesNeighbours) {
  EXPECT_THAT(ScoresOf(VoteMode::kMean),
              ElementsAre(FloatNear(0.7f, 1e-6), FloatNear(0.55f, 1e-6), FloatNear(-1.0f, 1e-6)));
}

TEST(KnnVoteScorerTest, SumDividesByNeighboursSearched) {
  // Route 0: (0.8 + 0.7 + 0.6) / 5; route 1: (0.9 + 0.2) / 5.
  EXPECT_THAT(ScoresOf(VoteMode::kSum),
              ElementsAre(FloatNear(0.42f, 1e-6), FloatNear(0.22f, 1e-6), FloatNear(0.0f, 1e-6)));
}

TEST(KnnVoteScorerTest, NoNeighboursScoresNothing) {
  KnnVoteScorer scorer(kExemplarRoutes, VoteMode::kSum);
  std::vector<float> scores(3, 5.0f);
  scorer.Score({}, absl::MakeSpan(scores));
  EXPECT_THAT(scores, ElementsAre(0.0f, 0.0f, 0.0f));
}

}  // namespace
}  // namespace cascade::router
