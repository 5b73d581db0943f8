// Choosing speculation from measured costs: the expected-speedup formula at its known points,
// and the choice for a memory-bound pass (n-gram), a cheap draft on a memory-bound pass (the
// draft model), and a compute-bound pass like the bard pair's on a CPU (none); in a batch, how
// many tokens a step may hold with drafts, from how a pass's cost grows with its tokens.
#include "services/inference/engine/speculation_choice.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;

PassCosts Costs(double step, double verify, int k = 4) {
  return {.draft_tokens = k, .step_seconds = step, .verify_seconds = verify};
}

TEST(ExpectedSpeedup, MatchesTheFormulaAtItsKnownPoints) {
  // No acceptance: one token per round, at the price of a verification and k drafts.
  EXPECT_DOUBLE_EQ(ExpectedSpeedup(0.0, 4, 0.1, 1.0), 1.0 / 1.4);
  // Every draft accepted on a free verification with free drafts: k + 1 tokens per step.
  EXPECT_DOUBLE_EQ(ExpectedSpeedup(1.0, 4, 0.0, 1.0), 5.0);
  // (1 - a^(k+1)) / ((1 - a)(k c + r)) at a = 0.5, k = 2, c = 0.25, r = 1.5.
  EXPECT_DOUBLE_EQ(ExpectedSpeedup(0.5, 2, 0.25, 1.5), 1.75 / 2.0);
}

TEST(ChooseSpeculation, AMemoryBoundPassGetsNgramLookup) {
  const auto choice = ChooseSpeculation(Costs(0.010, 0.012), nullptr);
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNgram);
  EXPECT_DOUBLE_EQ(choice.verify_ratio, 1.2);
  EXPECT_THAT(choice.reason, HasSubstr("verifying 5 tokens costs 1.20 steps"));
}

TEST(ChooseSpeculation, ACheapDraftOnAMemoryBoundPassGetsTheDraftModel) {
  const PassCosts draft = Costs(0.0005, 0.0006);
  const auto choice = ChooseSpeculation(Costs(0.010, 0.011), &draft);
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kDraftModel);
  EXPECT_DOUBLE_EQ(choice.draft_ratio, 0.05);
  // At the break-even acceptance the formula gives 1.
  EXPECT_NEAR(ExpectedSpeedup(choice.break_even_acceptance, 4, 0.05, 1.1), 1.0, 1e-9);
  EXPECT_LE(choice.break_even_acceptance, kMaxBreakEvenAcceptance);
}

TEST(ChooseSpeculation, AComputeBoundPassLikeTheBardPairsGetsNone) {
  // Measured on a 2-core CPU: r = 3.8, c = 0.17.
  const PassCosts draft = Costs(0.00017, 0.0006);
  const auto choice = ChooseSpeculation(Costs(0.001, 0.0038), &draft);
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNone);
  EXPECT_GT(choice.break_even_acceptance, 0.9);
  EXPECT_THAT(choice.reason, HasSubstr("speculation would slow it down"));
}

TEST(ChooseSpeculation, ADraftThatCannotPayEvenWhenAlwaysRightSaysSo) {
  const PassCosts draft = Costs(0.0008, 0.004);
  const auto choice = ChooseSpeculation(Costs(0.001, 0.005), &draft);
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNone);
  EXPECT_GT(choice.break_even_acceptance, 1.0);
}

TEST(MeasurePassCosts, TimesOneTokenAndAVerificationOnTheRealModel) {
  auto costs = MeasurePassCosts(testing::Target(), Device::kCpu, 1, 4, 2);
  ASSERT_TRUE(costs.ok()) << costs.status();
  EXPECT_EQ(costs->draft_tokens, 4);
  EXPECT_GT(costs->step_seconds, 0);
  EXPECT_GT(costs->verify_seconds, 0);
  EXPECT_EQ(MeasurePassCosts(testing::Target(), Device::kCpu, 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

PassCurve Curve(std::vector<double> seconds) {
  PassCurve curve;
  for (size_t i = 0; i < seconds.size(); ++i) curve.tokens.push_back(1 << i);
  curve.seconds = std::move(seconds);
  return curve;
}

TEST(ChooseBatchSpeculation, DraftsFillTheStepWhileItIsMemoryBound) {
  // Flat to 8 tokens, then linear: 1.5 steps are reached 2/7 of the way from 8 to 16.
  const auto choice = ChooseBatchSpeculation(Curve({1, 1.05, 1.1, 1.3, 2.0, 4.0, 8.0}));
  EXPECT_EQ(choice.draft_step_tokens, 10);
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNgram);
  EXPECT_THAT(choice.reason, HasSubstr("up to 10 tokens"));
  // Room for one token and one draft is enough to speculate by default.
  const auto small = ChooseBatchSpeculation(Curve({1, 1.4, 2.2, 4, 8, 16, 32}));
  EXPECT_EQ(small.draft_step_tokens, 2);
  EXPECT_EQ(small.mode, SpeculationOptions::Mode::kNgram);
}

TEST(ChooseBatchSpeculation, AComputeBoundPassGetsNoDrafts) {
  const auto choice = ChooseBatchSpeculation(Curve({1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNone);
  EXPECT_EQ(choice.draft_step_tokens, 1);  // no room for a single draft
  EXPECT_THAT(choice.reason, HasSubstr("would slow it down"));
}

TEST(ChooseBatchSpeculation, APassThatNeverGrowsLeavesRoomForAFullStep) {
  const auto choice = ChooseBatchSpeculation(Curve({1, 1, 1, 1, 1, 1, 1.2}));
  EXPECT_EQ(choice.mode, SpeculationOptions::Mode::kNgram);
  EXPECT_EQ(choice.draft_step_tokens, 64);
}

TEST(MeasurePassCurve, TimesPassesOfDoublingSizeOnTheRealModel) {
  auto curve = MeasurePassCurve(testing::Target(), 1, 1);
  ASSERT_TRUE(curve.ok()) << curve.status();
  EXPECT_EQ(curve->tokens, (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));
  ASSERT_EQ(curve->seconds.size(), curve->tokens.size());
  for (double seconds : curve->seconds) EXPECT_GT(seconds, 0);
  EXPECT_EQ(MeasurePassCurve(testing::Target(), 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::engine
