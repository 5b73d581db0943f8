#include "services/router/lib/hashed_embedder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "services/router/lib/text_features.h"

namespace cascade::router {
namespace {

using ::testing::ElementsAre;

const std::vector<std::string> kCorpus = {"what's the weather like tomorrow",
                                          "will it rain in Paris",
                                          "is it sunny today",
                                          "pay my electricity bill",
                                          "when is my credit card bill due",
                                          "transfer money to savings"};

float Dot(const float* a, const float* b, size_t n) {
  float sum = 0;
  for (size_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

TEST(TextFeaturesTest, NormalizesCasePunctuationAndApostrophes) {
  EXPECT_THAT(NormalizedWords("What's the WEATHER, in Zürich?!  (2024)"),
              ElementsAre("whats", "the", "weather", "in", "z\xc3\xbcrich", "2024"));
  EXPECT_TRUE(NormalizedWords("?!... ---").empty());
}

TEST(TextFeaturesTest, CountsRepeatedFeatures) {
  TextFeatureOptions options;
  options.word_bigrams = false;
  options.char_ngram_min = options.char_ngram_max = 0;
  std::vector<FeatureCount> features = ExtractFeatures("go go GO stop", options);
  ASSERT_EQ(features.size(), 2u);
  EXPECT_EQ(features[0].count + features[1].count, 4u);
}

TEST(HashedEmbedderTest, RowsAreUnitLengthAndDeterministic) {
  auto first = HashedEmbedder::Fit({}, kCorpus);
  auto second = HashedEmbedder::Fit({}, kCorpus);
  ASSERT_TRUE(first.ok() && second.ok());
  absl::StatusOr<Embeddings> a = (*first)->Embed(kCorpus);
  absl::StatusOr<Embeddings> b = (*second)->Embed(kCorpus);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->rows(), kCorpus.size());
  EXPECT_EQ(a->dimension, 512u);
  EXPECT_EQ(a->dense, b->dense);
  for (size_t i = 0; i < a->rows(); ++i) {
    EXPECT_NEAR(Dot(a->row(i), a->row(i), a->dimension), 1.0f, 1e-5f);
    const SparseVector& sparse = a->sparse[i];
    EXPECT_TRUE(std::is_sorted(sparse.indices.begin(), sparse.indices.end()));
    EXPECT_TRUE(std::adjacent_find(sparse.indices.begin(), sparse.indices.end()) ==
                sparse.indices.end());
    float squared = 0;
    for (float v : sparse.values) squared += v * v;
    EXPECT_NEAR(squared, 1.0f, 1e-5f);
    EXPECT_EQ(sparse.indices, b->sparse[i].indices);
  }
}

TEST(HashedEmbedderTest, SimilarTextsAreCloser) {
  auto embedder = HashedEmbedder::Fit({}, kCorpus);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> e = (*embedder)->Embed(
      {"what is the weather tomorrow", "what's the weather like tomorrow", "pay my bill"});
  ASSERT_TRUE(e.ok());
  const float close = Dot(e->row(0), e->row(1), e->dimension);
  const float far = Dot(e->row(0), e->row(2), e->dimension);
  EXPECT_GT(close, 0.5f);
  EXPECT_LT(far, close - 0.3f);
}

TEST(HashedEmbedderTest, TextWithoutWordsIsTheZeroVector) {
  auto embedder = HashedEmbedder::Fit({}, kCorpus);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> e = (*embedder)->Embed({"?!"});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Dot(e->row(0), e->row(0), e->dimension), 0.0f);
  EXPECT_TRUE(e->sparse[0].indices.empty());
}

TEST(HashedEmbedderTest, SparseViewCanBeTurnedOff) {
  HashedEmbedderOptions options;
  options.dimension = 64;
  options.sparse_dimension = 0;
  auto embedder = HashedEmbedder::Fit(options, kCorpus);
  ASSERT_TRUE(embedder.ok());
  absl::StatusOr<Embeddings> e = (*embedder)->Embed({"rain"});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->dimension, 64u);
  EXPECT_EQ(e->sparse_dimension, 0u);
  EXPECT_TRUE(e->sparse.empty());
}

TEST(HashedEmbedderTest, RejectsBadOptions) {
  HashedEmbedderOptions options;
  options.dimension = 0;
  EXPECT_EQ(HashedEmbedder::Fit(options, kCorpus).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.features.char_ngram_min = 5;
  options.features.char_ngram_max = 3;
  EXPECT_EQ(HashedEmbedder::Fit(options, kCorpus).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::router
