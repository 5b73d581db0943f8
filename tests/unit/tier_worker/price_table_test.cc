#include "services/tier_worker/price_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "services/tier_worker/cost.h"

namespace cascade::tier_worker {
namespace {

using ::testing::HasSubstr;

TEST(UsdPerMtokToMicroUsdTest, DecimalPricesBecomeExactIntegers) {
  EXPECT_EQ(*UsdPerMtokToMicroUsd(0.15, "p"), 150000);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(0.6, "p"), 600000);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(2.5, "p"), 2500000);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(10, "p"), 10000000);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(0.000001, "p"), 1);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(0, "p"), 0);
  EXPECT_EQ(*UsdPerMtokToMicroUsd(1.1, "p"), 1100000);
}

TEST(UsdPerMtokToMicroUsdTest, RefusesWhatWouldBeRoundedOrIsNotAPrice) {
  for (double bad : {0.0000001, 0.1234567, -1.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), 2e6}) {
    auto result = UsdPerMtokToMicroUsd(bad, "price.input_usd_per_mtok");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr("price.input_usd_per_mtok"));
  }
}

TEST(CostTest, IsTokensTimesPriceExactly) {
  cascade::v1::Usage usage;
  usage.set_prompt_tokens(1234);
  usage.set_completion_tokens(567);
  ModelPrice price{150000, 600000};  // gpt-4o-mini: 0.15 / 0.60 USD per million tokens.
  EXPECT_EQ(*CostPicoUsd(usage, price), 1234 * 150000 + 567 * 600000);
  EXPECT_EQ(*CostPicoUsd(usage, price), 525300000);  // 0.0005253 USD.
  EXPECT_DOUBLE_EQ(PicoUsdToUsd(525300000), 0.0005253);
  EXPECT_EQ(*CostPicoUsd(cascade::v1::Usage(), price), 0);
}

TEST(CostTest, OverflowAndNegativeCountsAreErrors) {
  cascade::v1::Usage usage;
  usage.set_prompt_tokens(std::numeric_limits<int64_t>::max() / 2);
  EXPECT_EQ(CostPicoUsd(usage, ModelPrice{3, 0}).status().code(), absl::StatusCode::kOutOfRange);
  usage.set_prompt_tokens(-1);
  EXPECT_EQ(CostPicoUsd(usage, ModelPrice{3, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PriceTableTest, BuiltinTableParsesAndIsDated) {
  const PriceTable& table = PriceTable::Builtin();
  EXPECT_GT(table.size(), 5u);
  EXPECT_THAT(table.as_of(), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}"));
  auto mini = table.Lookup("gpt-4o-mini");
  ASSERT_TRUE(mini.ok());
  EXPECT_EQ(*mini, (ModelPrice{150000, 600000}));
}

TEST(PriceTableTest, UnknownModelIsNotFoundNamingModelDateAndFix) {
  auto price = PriceTable::Builtin().Lookup("my-own-model");
  ASSERT_EQ(price.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(price.status().message(), HasSubstr("my-own-model"));
  EXPECT_THAT(price.status().message(), HasSubstr(PriceTable::Builtin().as_of()));
  EXPECT_THAT(price.status().message(), HasSubstr("input_usd_per_mtok"));
}

TEST(PriceTableTest, FromJsonChecksShape) {
  auto table = PriceTable::FromJson(
      R"({"as_of":"2025-01-01","models":{"m":{"input_usd_per_mtok":1,"output_usd_per_mtok":2.25}}})",
      "t.json");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(*table->Lookup("m"), (ModelPrice{1000000, 2250000}));
  EXPECT_FALSE(PriceTable::FromJson("{", "t.json").ok());
  EXPECT_THAT(PriceTable::FromJson(R"({"models":{}})", "t.json").status().message(),
              HasSubstr("as_of"));
  EXPECT_THAT(
      PriceTable::FromJson(R"({"as_of":"d","models":{"m":{"input_usd_per_mtok":1}}})", "t.json")
          .status()
          .message(),
      HasSubstr("models.m: 'output_usd_per_mtok'"));
}

}  // namespace
}  // namespace cascade::tier_worker
