// The cost planner: the worked example of its --help exactly, climbing and judge costs, routed
// shares, bad input; and `cascadectl cost` printing it.

#include "tools/cascadectl/cost_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/cascadectl/cost_command.h"

namespace cascade::cli {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kUsd = 1'000'000'000'000;  // pico-USD

CostPlanInput WorkedExample() {
  CostPlanInput input;
  input.requests = 1'000'000;
  input.input_tokens = 500;
  input.output_tokens = 500;
  input.tiers = {{"small", 300'000, 300'000, 800'000}, {"large", 10'000'000, 10'000'000, 200'000}};
  return input;
}

TEST(CostPlannerTest, ReproducesTheWorkedExampleExactly) {
  absl::StatusOr<CostPlan> plan = PlanCost(WorkedExample());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->monolith_pusd, 10'000 * kUsd);
  EXPECT_EQ(plan->routed_pusd, 2'240 * kUsd);
  EXPECT_EQ(plan->cascade_pusd, 2'300 * kUsd);
  EXPECT_EQ(plan->cascade_rejected_attempts_pusd, 60 * kUsd);  // 200,000 x $0.0003.
  EXPECT_EQ(plan->cascade_judge_pusd, 0);
  EXPECT_NEAR(SavedPercent(plan->monolith_pusd, plan->routed_pusd), 77.6, 1e-9);
  EXPECT_NEAR(SavedPercent(plan->monolith_pusd, plan->cascade_pusd), 77.0, 1e-9);
  EXPECT_THAT(plan->answered_per_tier, ::testing::ElementsAre(800'000, 200'000));
  EXPECT_EQ(FormatUsd(plan->routed_pusd), "$2,240.00");
  EXPECT_EQ(FormatUsd(plan->monolith_pusd), "$10,000.00");
}

TEST(CostPlannerTest, RoutedShareSkipsTheClimbAndJudgesAreCountedPerAttempt) {
  CostPlanInput input = WorkedExample();
  input.routed_ppm = 500'000;                 // Half the requests go straight to their tier.
  input.judge_pusd_per_call = kUsd / 10'000;  // $0.0001 a judge call.
  absl::StatusOr<CostPlan> plan = PlanCost(input);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // 100,000 climbing large-tier requests paid a small attempt: $30.
  EXPECT_EQ(plan->cascade_rejected_attempts_pusd, 30 * kUsd);
  // Climbing: 400,000 small answers judged once, 100,000 large answers judged once (their
  // small attempt; the top tier is never judged): 500,000 x $0.0001 = $50.
  EXPECT_EQ(plan->cascade_judge_pusd, 50 * kUsd);
  EXPECT_EQ(plan->cascade_pusd, (2'240 + 30 + 50) * kUsd);
}

TEST(CostPlannerTest, ThreeTiersClimbThroughEveryLowerOne) {
  CostPlanInput input;
  input.requests = 1000;
  input.input_tokens = 1;
  input.output_tokens = 0;
  input.tiers = {{"a", 1, 0, 500'000}, {"b", 10, 0, 300'000}, {"c", 100, 0, 200'000}};
  absl::StatusOr<CostPlan> plan = PlanCost(input);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->monolith_pusd, 100'000);
  EXPECT_EQ(plan->routed_pusd, 500 + 3000 + 20000);
  // b's answers paid a (300 x 1); c's paid a and b (200 x 11).
  EXPECT_EQ(plan->cascade_rejected_attempts_pusd, 300 + 2200);
}

TEST(CostPlannerTest, RefusesBadInput) {
  CostPlanInput input = WorkedExample();
  input.tiers[0].final_share_ppm = 700'000;
  absl::StatusOr<CostPlan> plan = PlanCost(input);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("add up to 1"));
  input.tiers.clear();
  EXPECT_FALSE(PlanCost(input).ok());
  input = WorkedExample();
  input.routed_ppm = 2'000'000;
  EXPECT_FALSE(PlanCost(input).ok());
}

TEST(CostPlannerTest, FormatsDollarsWithThousandsSeparatorsAndRoundedCents) {
  constexpr int64_t kPicoUsdPerCent = 10'000'000'000LL;
  EXPECT_EQ(FormatUsd(0), "$0.00");
  EXPECT_EQ(FormatUsd(5 * kPicoUsdPerCent), "$0.05");
  EXPECT_EQ(FormatUsd(99'999 * kPicoUsdPerCent), "$999.99");
  EXPECT_EQ(FormatUsd(100'000 * kPicoUsdPerCent), "$1,000.00");
  EXPECT_EQ(FormatUsd(123'456'789 * kPicoUsdPerCent + kPicoUsdPerCent / 2), "$1,234,567.90");
  EXPECT_EQ(FormatUsd(-100'000'000 * kPicoUsdPerCent), "-$1,000,000.00");
}

TEST(CostPlannerTest, ParsesDecimalsExactly) {
  EXPECT_EQ(*ParseMillionths("0.30"), 300'000);
  EXPECT_EQ(*ParseMillionths("10"), 10'000'000);
  EXPECT_EQ(*ParseMillionths(".8"), 800'000);
  EXPECT_EQ(*ParseMillionths("1.000001"), 1'000'001);
  EXPECT_FALSE(ParseMillionths("1.0000001").ok());
  EXPECT_FALSE(ParseMillionths("-1").ok());
  EXPECT_FALSE(ParseMillionths("abc").ok());
  EXPECT_FALSE(ParseMillionths("").ok());
  EXPECT_FALSE(ParseMillionths("1.2x").ok());
}

TEST(CostCommandTest, PrintsTheWorkedExample) {
  std::ostringstream out, err;
  int code =
      RunCost({"--requests", "1000000", "--input-tokens", "500", "--output-tokens", "500", "--tier",
               "small=0.30:0.30", "--tier", "large=10:10", "--mix", "small=0.8,large=0.2"},
              out, err);
  ASSERT_EQ(code, 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("$10,000.00"));
  EXPECT_THAT(out.str(), HasSubstr("$2,240.00"));
  EXPECT_THAT(out.str(), HasSubstr("77.6%"));
  EXPECT_THAT(out.str(), HasSubstr("$2,300.00"));
  EXPECT_THAT(out.str(), HasSubstr("77.0%"));
}

TEST(CostCommandTest, JsonAndUsageErrors) {
  std::ostringstream out, err;
  ASSERT_EQ(RunCost({"--requests=1000000", "--input-tokens=500", "--output-tokens=500",
                     "--tier=small=0.30:0.30", "--tier=large=10:10", "--mix=small=0.8,large=0.2",
                     "--json"},
                    out, err),
            0)
      << err.str();
  nlohmann::json json = nlohmann::json::parse(out.str());
  EXPECT_EQ(json["cascade_pusd"], 2'300 * kUsd);
  EXPECT_EQ(json["routed_pusd"], 2'240 * kUsd);

  std::ostringstream out2, err2;
  EXPECT_EQ(RunCost({"--requests", "10", "--input-tokens", "1", "--output-tokens", "1", "--tier",
                     "small=cheap", "--mix", "small=1"},
                    out2, err2),
            2);
  EXPECT_THAT(err2.str(), HasSubstr("NAME=IN:OUT"));
  std::ostringstream out3, err3;
  EXPECT_EQ(RunCost({"--requests", "10", "--input-tokens", "1", "--output-tokens", "1", "--tier",
                     "small=1:1", "--mix", "medium=1"},
                    out3, err3),
            2);
  EXPECT_THAT(err3.str(), HasSubstr("'medium'"));
}

// A fitted policy's report gives the mix: the chosen ladder's shares per tier.
TEST(CostCommandTest, TheMixCanComeFromAFittedPolicy) {
  const std::string path = ::testing::TempDir() + "/fit_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream(path) << R"({"top_model": "large", "chosen": 0, "sequence": [
        {"ladder": ["small", "large"], "training": {"final_share": [0.8, 0.2]}}]})";
  }
  const std::vector<std::string> base = {
      "--requests", "1000000", "--input-tokens",  "500",    "--output-tokens",
      "500",        "--tier",  "small=0.30:0.30", "--tier", "large=10:10"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--mix-from", path});
  std::ostringstream out, err;
  ASSERT_EQ(RunCost(args, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("$2,300.00"));  // As --mix small=0.8,large=0.2.

  std::vector<std::string> other_ladder = {"--requests",      "1", "--input-tokens", "1",
                                           "--output-tokens", "1", "--tier",         "large=10:10",
                                           "--mix-from",      path};
  std::ostringstream out2, err2;
  EXPECT_EQ(RunCost(other_ladder, out2, err2), 2);
  EXPECT_THAT(err2.str(), HasSubstr("the fitted ladder is small > large"));
  args.insert(args.end(), {"--mix", "small=1"});
  std::ostringstream out3, err3;
  EXPECT_EQ(RunCost(args, out3, err3), 2);
  EXPECT_THAT(err3.str(), HasSubstr("--mix or --mix-from"));
}

}  // namespace
}  // namespace cascade::cli
