// cascadectl outcomes summary on the project's fixture: per-model accuracy, signal coverage,
// tokens and exact cost; bad prices and bad usage named.

#include "tools/cascadectl/outcomes_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cascade::cli {
namespace {

using ::testing::HasSubstr;

const std::string kData = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/";

TEST(OutcomesCommandTest, SummarizesEachModelInTheFilesOrder) {
  auto records = outcomes::ReadOutcomesFile(kData + "ladder.jsonl");
  ASSERT_TRUE(records.ok()) << records.status();
  auto prices = outcomes::ReadPricesFile(kData + "prices.yaml");
  ASSERT_TRUE(prices.ok()) << prices.status();
  EXPECT_EQ(prices->at("mid").input_uusd_per_mtok, 900'000);
  const std::vector<ModelSummary> summaries = SummarizeOutcomes(*records, &*prices);
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(summaries[0].model, "tiny");
  EXPECT_EQ(summaries[1].model, "mid");
  EXPECT_EQ(summaries[2].model, "top");
  const ModelSummary& tiny = summaries[0];
  EXPECT_EQ(tiny.answered, 3);
  EXPECT_EQ(tiny.graded, 3);
  EXPECT_DOUBLE_EQ(tiny.quality_sum, 1);  // Right once in three.
  EXPECT_EQ(tiny.with_logprobs, 2);
  EXPECT_EQ(tiny.with_self_check, 2);
  EXPECT_EQ(tiny.tokens, 13 + 11 + 17);
  // 41 answer tokens and 30 + 25 + 1 + 1 self-check tokens at 100,000 pico-USD each.
  EXPECT_EQ(tiny.cost_pusd, (41 + 57) * 100'000);
  EXPECT_DOUBLE_EQ(summaries[1].quality_sum, 2.5);  // A graded 0.5 counts as such.
  EXPECT_EQ(summaries[2].cost_pusd, 41 * 3'000'000);
}

TEST(OutcomesCommandTest, PrintsATableOrJson) {
  std::ostringstream out, err;
  EXPECT_EQ(
      RunOutcomes({"summary", kData + "ladder.jsonl", "--prices", kData + "prices.yaml"}, out, err),
      0)
      << err.str();
  EXPECT_THAT(out.str(), HasSubstr("3 queries"));
  EXPECT_THAT(out.str(), HasSubstr("tiny"));
  EXPECT_THAT(out.str(), HasSubstr("0.333"));
  std::ostringstream json_out;
  ASSERT_EQ(RunOutcomes({"summary", kData + "ladder.jsonl", "--json"}, json_out, err), 0);
  EXPECT_THAT(json_out.str(), HasSubstr("\"accuracy\": 0.8333"));
  EXPECT_THAT(json_out.str(), ::testing::Not(HasSubstr("cost_pusd")));  // No prices given.
}

TEST(OutcomesCommandTest, MistakesAreNamed) {
  std::ostringstream out, err;
  EXPECT_EQ(RunOutcomes({"summarise", "x.jsonl"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("give `summary FILE`"));

  const std::string bad = ::testing::TempDir() + "/bad-prices.yaml";
  std::ofstream(bad) << "tiny: {input_usd_per_mtok: 0.1, output_usd_per_mtok: -2}\n";
  std::ostringstream err2;
  EXPECT_EQ(RunOutcomes({"summary", kData + "ladder.jsonl", "--prices", bad}, out, err2), 1);
  EXPECT_THAT(err2.str(), HasSubstr(bad + ":1: tiny.output_usd_per_mtok must be in"));

  const std::string half = ::testing::TempDir() + "/half-prices.yaml";
  std::ofstream(half) << "tiny: {input_usd_per_mtok: 0.1}\n";
  auto prices = outcomes::ReadPricesFile(half);
  EXPECT_THAT(prices.status().message(), HasSubstr("tiny needs {input_usd_per_mtok"));

  std::ostringstream err3;
  EXPECT_EQ(RunOutcomes({"summary", "/nonexistent.jsonl"}, out, err3), 1);
  EXPECT_THAT(err3.str(), HasSubstr("/nonexistent.jsonl: cannot be opened"));
}

}  // namespace
}  // namespace cascade::cli
