// The per-tier success estimate on fixtures whose answer is known: arithmetic questions the
// small tier always gets wrong, geography questions it always gets right.

#include "services/router/lib/tier_success_estimator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

const char* const kCountries[] = {"France", "Peru",  "Japan",  "Kenya", "Norway",
                                  "Chile",  "Egypt", "Canada", "India", "Spain"};

OutcomeExemplar Exemplar(std::string query, double small, double large) {
  OutcomeExemplar exemplar;
  exemplar.key = query;
  exemplar.query = std::move(query);
  exemplar.tier_quality = {{"small", small}, {"large", large}};
  return exemplar;
}

// 60 arithmetic questions (small wrong, large right), 60 geography (both right).
std::vector<OutcomeExemplar> KnownFixture() {
  std::vector<OutcomeExemplar> exemplars;
  for (int i = 0; i < 60; ++i) {
    exemplars.push_back(Exemplar(
        absl::StrCat("compute the product of ", 17 + i, " and ", 23 + 2 * i, " modulo 97"), 0, 1));
    exemplars.push_back(Exemplar(
        absl::StrCat("what is the capital city of ", kCountries[i % 10], " number ", i), 1, 1));
  }
  return exemplars;
}

const TierEstimate& Find(const std::vector<TierEstimate>& estimates, const std::string& tier) {
  for (const TierEstimate& estimate : estimates) {
    if (estimate.tier == tier) return estimate;
  }
  ADD_FAILURE() << "no estimate for " << tier;
  static const TierEstimate kNone;
  return kNone;
}

TEST(TierSuccessEstimatorTest, NeighboursDecideWhereTheyAgree) {
  auto estimator = TierSuccessEstimator::Build(KnownFixture(), {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();

  auto math = (*estimator)->Estimate("compute the product of 31 and 44 modulo 97");
  ASSERT_TRUE(math.ok()) << math.status();
  EXPECT_LT(Find(*math, "small").probability, 0.15);
  EXPECT_GT(Find(*math, "large").probability, 0.9);
  EXPECT_GT(Find(*math, "small").neighbours, 0);
  EXPECT_GT(Find(*math, "small").mean_similarity, 0.3);

  auto geography = (*estimator)->Estimate("what is the capital city of Peru");
  ASSERT_TRUE(geography.ok()) << geography.status();
  EXPECT_GT(Find(*geography, "small").probability, 0.85);
}

TEST(TierSuccessEstimatorTest, BaseRatesAreTheMeanLabel) {
  auto estimator = TierSuccessEstimator::Build(KnownFixture(), {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  auto estimates = (*estimator)->Estimate("compute the product of 2 and 3 modulo 97");
  ASSERT_TRUE(estimates.ok());
  EXPECT_NEAR(Find(*estimates, "small").base_rate, 0.5, 1e-9);
  EXPECT_NEAR(Find(*estimates, "large").base_rate, 0.999, 1e-9);  // Kept below 1.
  EXPECT_LT(Find(*estimates, "large").probability, 1.0);
}

TEST(TierSuccessEstimatorTest, NoNeighboursGiveTheBaseRate) {
  auto estimator = TierSuccessEstimator::Build(KnownFixture(), {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  // Only punctuation: no features, no neighbours.
  auto estimates = (*estimator)->Estimate("?!?");
  ASSERT_TRUE(estimates.ok()) << estimates.status();
  const TierEstimate& small = Find(*estimates, "small");
  EXPECT_EQ(small.neighbours, 0);
  EXPECT_EQ(small.mean_similarity, 0.0);
  EXPECT_NEAR(small.probability, small.base_rate, 1e-9);
}

TEST(TierSuccessEstimatorTest, FarNeighboursAreNoEvidence) {
  TierEstimatorOptions options;
  options.min_similarity = 0.5;
  auto estimator = TierSuccessEstimator::Build(KnownFixture(), options);
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  // Shares no word with any exemplar: every neighbour is far.
  auto estimates = (*estimator)->Estimate("zebras enjoy yodelling beneath auroras");
  ASSERT_TRUE(estimates.ok()) << estimates.status();
  const TierEstimate& small = Find(*estimates, "small");
  EXPECT_EQ(small.neighbours, 0);
  EXPECT_NEAR(small.probability, 0.5, 1e-9);
}

TEST(TierSuccessEstimatorTest, FewNeighboursAreSmoothedTowardTheBaseRate) {
  // One exemplar says small fails on this kind; nine unrelated ones say it succeeds.
  std::vector<OutcomeExemplar> exemplars = {
      Exemplar("integrate the function x squared times sine x", 0, 1)};
  for (int i = 0; i < 9; ++i) {
    exemplars.push_back(Exemplar(absl::StrCat("say hello to ", kCountries[i]), 1, 1));
  }
  auto estimator = TierSuccessEstimator::Build(exemplars, {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  auto estimates = (*estimator)->Estimate("integrate the function x squared times sine x");
  ASSERT_TRUE(estimates.ok());
  const TierEstimate& small = Find(*estimates, "small");
  // Pulled below the base rate (0.9) by its one neighbour, but not to 0.
  EXPECT_LT(small.probability, 0.9);
  EXPECT_GT(small.probability, 0.1);
}

TEST(TierSuccessEstimatorTest, CalibrationBeatsTheBaseRateOnLeftOutExemplars) {
  auto estimator = TierSuccessEstimator::Build(KnownFixture(), {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  ASSERT_EQ((*estimator)->calibration().size(), 2u);
  for (const TierCalibration& fit : (*estimator)->calibration()) {
    EXPECT_EQ(fit.labelled, 120u) << fit.tier;
    EXPECT_EQ(fit.scored, 120u) << fit.tier;
    if (fit.tier == "small") {
      EXPECT_NEAR(fit.base_log_loss, std::log(2.0), 0.01);
      EXPECT_LT(fit.log_loss, 0.2 * fit.base_log_loss);
    }
  }
}

TEST(TierSuccessEstimatorTest, UnlabelledTiersAreNotEvidence) {
  std::vector<OutcomeExemplar> exemplars = KnownFixture();
  // A tier only the geography questions were tried on.
  for (OutcomeExemplar& exemplar : exemplars) {
    if (exemplar.tier_quality["small"] == 1) exemplar.tier_quality["medium"] = 1;
  }
  auto estimator = TierSuccessEstimator::Build(exemplars, {});
  ASSERT_TRUE(estimator.ok()) << estimator.status();
  auto estimates = (*estimator)->Estimate("compute the product of 31 and 44 modulo 97");
  ASSERT_TRUE(estimates.ok());
  ASSERT_EQ(estimates->size(), 3u);
  const TierEstimate& medium = Find(*estimates, "medium");
  EXPECT_GT(medium.probability, 0.9);  // Its base rate; no arithmetic neighbour was labelled.
}

TEST(TierSuccessEstimatorTest, RejectsBadInput) {
  EXPECT_THAT(TierSuccessEstimator::Build({}, {}).status().message(),
              HasSubstr("no outcome exemplars"));
  TierEstimatorOptions options;
  options.neighbours = 0;
  EXPECT_THAT(TierSuccessEstimator::Build(KnownFixture(), options).status().message(),
              HasSubstr("neighbours must be >= 1"));
  std::vector<OutcomeExemplar> bad = KnownFixture();
  bad[3].tier_quality["small"] = 1.5;
  EXPECT_THAT(TierSuccessEstimator::Build(bad, {}).status().message(),
              HasSubstr("exemplar 3: tiers.small must be a quality in [0, 1]"));
}

}  // namespace
}  // namespace cascade::router
