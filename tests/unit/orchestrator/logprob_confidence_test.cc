#include "services/orchestrator/lib/logprob_confidence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cascade::orchestrator {
namespace {

std::vector<v1::TokenLogprob> Tokens(const std::vector<double>& values) {
  std::vector<v1::TokenLogprob> tokens;
  for (double value : values) {
    tokens.emplace_back();
    tokens.back().set_logprob(value);
  }
  return tokens;
}

TEST(LogprobConfidenceTest, Aggregates) {
  auto tokens = Tokens({-0.5, -1.0, -3.0, -0.5});
  EXPECT_DOUBLE_EQ(*LogprobConfidence::Parse("mean")->Aggregate(tokens), -1.25);
  EXPECT_DOUBLE_EQ(*LogprobConfidence::Parse("min")->Aggregate(tokens), -3.0);
  EXPECT_DOUBLE_EQ(*LogprobConfidence::Parse("p0")->Aggregate(tokens), -3.0);
  EXPECT_DOUBLE_EQ(*LogprobConfidence::Parse("p100")->Aggregate(tokens), -0.5);
}

TEST(LogprobConfidenceTest, RejectsBadNamesAndValues) {
  auto bad = LogprobConfidence::Parse("median");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("'median'"));
  EXPECT_FALSE(LogprobConfidence::Parse("p101").ok());
  auto mean = *LogprobConfidence::Parse("mean");
  EXPECT_FALSE(mean.Aggregate({}).ok());
  EXPECT_FALSE(mean.Aggregate(Tokens({0.5})).ok());
  EXPECT_FALSE(mean.Aggregate(Tokens({std::nan("")})).ok());
}

}  // namespace
}  // namespace cascade::orchestrator
