#include "services/judge/lib/logprob_aggregate.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::judge {
namespace {

using ::testing::HasSubstr;

std::vector<v1::TokenLogprob> Tokens(const std::vector<double>& logprobs) {
  std::vector<v1::TokenLogprob> tokens;
  for (double value : logprobs) {
    v1::TokenLogprob token;
    token.set_token("t");
    token.set_logprob(value);
    tokens.push_back(token);
  }
  return tokens;
}

double Aggregate(absl::string_view name, const std::vector<double>& logprobs) {
  absl::StatusOr<LogprobAggregate> aggregate = ParseLogprobAggregate(name);
  EXPECT_TRUE(aggregate.ok()) << aggregate.status();
  const std::vector<v1::TokenLogprob> tokens = Tokens(logprobs);
  absl::StatusOr<double> value = ComputeLogprobAggregate(*aggregate, tokens);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.value_or(std::numeric_limits<double>::quiet_NaN());
}

TEST(LogprobAggregateTest, ParsesEveryNameAndRoundTripsIt) {
  for (const char* name : {"mean", "min", "mean_len", "p0", "p10", "p50", "p100"}) {
    absl::StatusOr<LogprobAggregate> aggregate = ParseLogprobAggregate(name);
    ASSERT_TRUE(aggregate.ok()) << name << ": " << aggregate.status();
    EXPECT_EQ(aggregate->Name(), name);
  }
  EXPECT_EQ(ParseLogprobAggregate("p10")->percentile, 10);
}

TEST(LogprobAggregateTest, RejectsBadNamesNamingThem) {
  for (const char* name : {"", "avg", "p", "p101", "p-1", "p1x", "P10", "p1000", "mean "}) {
    absl::StatusOr<LogprobAggregate> aggregate = ParseLogprobAggregate(name);
    ASSERT_FALSE(aggregate.ok()) << name;
    EXPECT_EQ(aggregate.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(aggregate.status().message(), HasSubstr(absl::StrCat("'", name, "'")));
    EXPECT_THAT(aggregate.status().message(), HasSubstr("pNN"));
  }
}

TEST(LogprobAggregateTest, MeanIsTheLogOfTheGeometricMeanProbability) {
  // Probabilities 0.5, 0.25, 1: geometric mean = (0.125)^(1/3) = 0.5.
  const double mean = Aggregate("mean", {std::log(0.5), std::log(0.25), 0.0});
  EXPECT_NEAR(mean, std::log(0.5), 1e-12);
  EXPECT_NEAR(LogprobScore(mean), 0.5, 1e-12);
}

TEST(LogprobAggregateTest, MinIsTheLeastLikelyToken) {
  EXPECT_DOUBLE_EQ(Aggregate("min", {-0.1, -3.0, -0.2, -1.0}), -3.0);
  EXPECT_DOUBLE_EQ(Aggregate("min", {0.0}), 0.0);
}

TEST(LogprobAggregateTest, QuantilesInterpolateBetweenSortedTokens) {
  // Sorted: -4, -3, -2, -1, 0 (positions 0..4).
  const std::vector<double> values = {-1, -4, 0, -2, -3};
  EXPECT_DOUBLE_EQ(Aggregate("p0", values), -4);
  EXPECT_DOUBLE_EQ(Aggregate("p100", values), 0);
  EXPECT_DOUBLE_EQ(Aggregate("p50", values), -2);
  EXPECT_DOUBLE_EQ(Aggregate("p25", values), -3);
  EXPECT_DOUBLE_EQ(Aggregate("p10", values), -3.6);  // Position 0.4: -4 + 0.4 * 1.
  EXPECT_DOUBLE_EQ(Aggregate("p10", {-2.5}), -2.5);  // One token: every quantile is it.
}

TEST(LogprobAggregateTest, LowQuantileSeesOneBadTokenTheMeanHides) {
  // Nineteen confident tokens and one guess: the mean stays high, p10 does not.
  std::vector<double> values(19, -0.01);
  values.push_back(-6.0);
  EXPECT_GT(Aggregate("mean", values), -0.4);
  EXPECT_LT(Aggregate("p1", values), -1.0);
  EXPECT_DOUBLE_EQ(Aggregate("min", values), -6.0);
}

TEST(LogprobAggregateTest, LengthAwareMeanPenalisesLongAnswersAtEqualConfidence) {
  // sum / sqrt(n): 4 tokens of -0.5 -> -2 / 2 = -1; 16 tokens of -0.5 -> -8 / 4 = -2.
  EXPECT_DOUBLE_EQ(Aggregate("mean_len", std::vector<double>(4, -0.5)), -1.0);
  EXPECT_DOUBLE_EQ(Aggregate("mean_len", std::vector<double>(16, -0.5)), -2.0);
  EXPECT_DOUBLE_EQ(Aggregate("mean", std::vector<double>(16, -0.5)), -0.5);
}

TEST(LogprobAggregateTest, RejectsEmptyNanPositiveAndInfiniteLogprobs) {
  const LogprobAggregate mean;
  struct Case {
    std::vector<double> values;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{}, "no token logprobs"},
      {{-0.1, std::numeric_limits<double>::quiet_NaN()}, "answer_logprobs[1] is NaN"},
      {{0.5}, "answer_logprobs[0] is 0.5"},
      {{-0.1, -0.2, -std::numeric_limits<double>::infinity()}, "answer_logprobs[2] is -infinity"},
  };
  for (const Case& c : cases) {
    const std::vector<v1::TokenLogprob> tokens = Tokens(c.values);
    absl::StatusOr<double> value = ComputeLogprobAggregate(mean, tokens);
    ASSERT_FALSE(value.ok()) << c.message;
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(value.status().message(), HasSubstr(c.message));
  }
}

TEST(LogprobAggregateTest, ScoreIsExpOfTheAggregateInZeroOne) {
  EXPECT_DOUBLE_EQ(LogprobScore(0), 1.0);
  EXPECT_NEAR(LogprobScore(std::log(0.2)), 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(LogprobScore(-1e9), 0.0);
}

}  // namespace
}  // namespace cascade::judge
