#include "services/orchestrator/lib/orchestrator_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "common/config/config_loader.h"

namespace cascade::orchestrator {
namespace {

using ::testing::HasSubstr;

constexpr char kTiers[] = R"(
tiers:
  - name: small
    endpoint: {address: "127.0.0.1:1"}
  - name: large
    endpoint: {address: "127.0.0.1:2"}
    fallback_price: {input_usd_per_mtok: 2.5, output_usd_per_mtok: 10}
)";

absl::StatusOr<OrchestratorSettings> Parse(const std::string& yaml) {
  v1::OrchestratorConfig config;
  absl::Status parsed = ParseConfigYaml(yaml, "orchestrator.yaml", &config);
  if (!parsed.ok()) return parsed;
  return SettingsFromConfig(config);
}

std::string ErrorOf(const std::string& yaml) {
  auto settings = Parse(yaml);
  EXPECT_FALSE(settings.ok());
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kFailedPrecondition);
  return std::string(settings.status().message());
}

TEST(OrchestratorSettingsTest, FullConfigWithDefaults) {
  auto settings = Parse(std::string(kTiers) + R"(
judge: {address: "127.0.0.1:3"}
policies:
  - name: cheap
    tiers:
      - tier: small
        accept:
          logprob: {aggregate: p10, min: -1.5}
          judge: {min: 0.7}
          self_check: {min: 0.8}
          combine: or
      - tier: large
        accept: {logprob: {min: -1}}
    max_tiers: 2
    default_budget_usd: 0.01
  - name: strict
    tiers: [{tier: large}]
    routing: false
default_policy: strict
circuit_breaker: {failures: 2, open_for: 5s}
router_timeout: 20ms
)");
  ASSERT_TRUE(settings.ok()) << settings.status();
  ASSERT_EQ(settings->policies.size(), 2u);
  EXPECT_EQ(settings->policies[0].name, "strict");  // The default first.
  EXPECT_FALSE(settings->policies[0].routing);
  const PolicySettings& cheap = settings->policies[1];
  EXPECT_TRUE(cheap.routing);
  EXPECT_EQ(cheap.max_tiers, 2);
  EXPECT_EQ(cheap.default_deadline, absl::Seconds(30));
  EXPECT_EQ(cheap.default_budget_pusd, 10'000'000'000);  // 0.01 USD.
  const AcceptanceRule& small = cheap.tiers[0].accept;
  ASSERT_TRUE(small.logprob.has_value());
  EXPECT_EQ(small.logprob->name(), "p10");
  EXPECT_EQ(small.logprob_min, -1.5);
  EXPECT_EQ(small.judge_min, 0.7);
  EXPECT_EQ(small.self_check_min, 0.8);
  EXPECT_EQ(small.judge_methods, std::vector<std::string>({"llm"}));
  EXPECT_TRUE(small.combine_or);
  EXPECT_TRUE(cheap.tiers[1].accept.AlwaysAccepts());  // The last tier always accepts.
  EXPECT_EQ(settings->breaker.failures, 2);
  EXPECT_EQ(settings->breaker.open_for, absl::Seconds(5));
  EXPECT_EQ(settings->router_timeout, absl::Milliseconds(20));
  ASSERT_TRUE(settings->tiers[1].fallback_price.has_value());
  EXPECT_EQ(settings->tiers[1].fallback_price->input_uusd_per_mtok, 2'500'000);
  EXPECT_EQ(settings->tiers[1].fallback_price->output_uusd_per_mtok, 10'000'000);
}

TEST(OrchestratorSettingsTest, ACacheVerificationNeedsTheJudge) {
  const std::string verified =
      std::string(kTiers) +
      "policies: [{name: p, tiers: [{tier: small}, {tier: large}], cache: {enabled: true, "
      "semantic: true, verify: {min: 0.6, timeout: 500ms}}}]";
  EXPECT_THAT(ErrorOf(verified),
              HasSubstr("policy 'p': cache.verify asks the judge but judge.address is not set"));
  auto with_judge = Parse("judge: {address: \"127.0.0.1:4\"}\n" + verified);
  ASSERT_TRUE(with_judge.ok()) << with_judge.status();
  ASSERT_TRUE(with_judge->policies[0].cache->verify.has_value());
  EXPECT_EQ(with_judge->policies[0].cache->verify->timeout, absl::Milliseconds(500));
}

TEST(OrchestratorSettingsTest, EmptyConfigIsAnUnconfiguredOrchestrator) {
  auto settings = Parse("{}");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_TRUE(settings->policies.empty());
}

TEST(OrchestratorSettingsTest, ShadowDefaultsToTheLastTierAndChecksItsFields) {
  const std::string ladder = std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small}, ";
  auto settings = Parse(ladder + "{tier: large}], shadow: {rate: 0.05, max_usd_per_hour: 2}}]");
  ASSERT_TRUE(settings.ok()) << settings.status();
  ASSERT_TRUE(settings->policies[0].shadow.has_value());
  EXPECT_DOUBLE_EQ(settings->policies[0].shadow->rate, 0.05);
  EXPECT_EQ(settings->policies[0].shadow->max_pusd_per_hour, int64_t{2'000'000'000'000});
  EXPECT_EQ(settings->policies[0].shadow->tier, "large");
  EXPECT_FALSE(settings->policies[0].shadow->judge);
  const std::string judged =
      ladder + "{tier: large}], shadow: {rate: 1, max_usd_per_hour: 2, judge: true}}]";
  EXPECT_THAT(ErrorOf(judged),
              HasSubstr("policy 'p': shadow.judge asks the judge but judge.address is not set"));
  auto with_judge = Parse("judge: {address: \"127.0.0.1:4\"}\n" + judged);
  ASSERT_TRUE(with_judge.ok()) << with_judge.status();
  EXPECT_TRUE(with_judge->policies[0].shadow->judge);
  auto unshadowed = Parse(ladder + "{tier: large}]}]");
  ASSERT_TRUE(unshadowed.ok());
  EXPECT_FALSE(unshadowed->policies[0].shadow.has_value());

  EXPECT_THAT(ErrorOf(ladder + "{tier: large}], shadow: {max_usd_per_hour: 2}}]"),
              HasSubstr("policies[0].shadow.rate 0 must be in (0, 1]"));
  EXPECT_THAT(ErrorOf(ladder + "{tier: large}], shadow: {rate: 1.5, max_usd_per_hour: 2}}]"),
              HasSubstr("policies[0].shadow.rate 1.5 must be in (0, 1]"));
  EXPECT_THAT(ErrorOf(ladder + "{tier: large}], shadow: {rate: 0.1}}]"),
              HasSubstr("policies[0].shadow.max_usd_per_hour 0 must be > 0"));
  EXPECT_THAT(ErrorOf(ladder + "{tier: large}], shadow: {rate: 0.1, max_usd_per_hour: -1}}]"),
              HasSubstr("max_usd_per_hour -1 must be > 0"));
  EXPECT_THAT(
      ErrorOf(ladder + "{tier: large}], shadow: {rate: 0.1, max_usd_per_hour: 1, tier: huge}}]"),
      HasSubstr("policies[0].shadow.tier 'huge' is not a tier of this policy"));
  EXPECT_THAT(
      ErrorOf(ladder + "{tier: large}], shadow: {rate: 0.1, max_usd_per_hour: 1, tier: small}}]"),
      HasSubstr("'small' is the policy's first tier"));
  EXPECT_THAT(ErrorOf(ladder + "{tier: large}], shadow: {rate: 0.1, max_usd_per_hour: 1, "
                               "tiers: large}}]"),
              HasSubstr("tiers"));  // A typo is refused, not ignored.
}

TEST(OrchestratorSettingsTest, MistakesNameTheField) {
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: medium}]}]"),
              HasSubstr("policies[0].tiers[0].tier 'medium' is not a configured tier"));
  EXPECT_THAT(
      ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small}, {tier: small}]}]"),
      HasSubstr("listed twice"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small}]}, {name: p, tiers: [{tier: "
                      "large}]}]"),
              HasSubstr("policies[1].name 'p' is used twice"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "  - name: small\n    endpoint: {address: x}\n"
                                            "policies: [{name: p, tiers: [{tier: small}]}]"),
              HasSubstr("tiers[2].name 'small' is used twice"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: []}]"),
              HasSubstr("lists no tiers"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: []"), HasSubstr("policies: none"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small, accept: {logprob: {min: 0.5}}}, "
                      "{tier: large}]}]"),
              HasSubstr("policies[0].tiers[0].accept.logprob.min must be set and <= 0"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small, accept: {logprob: {aggregate: "
                      "median, min: -1}}}, {tier: large}]}]"),
              HasSubstr("unknown logprob aggregate 'median'"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "judge: {address: j}\npolicies: [{name: p, tiers: [{tier: small, accept: "
                      "{judge: {min: 1.5}}}, {tier: large}]}]"),
              HasSubstr("accept.judge.min must be set and in [0, 1]"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small, accept: "
                                            "{self_check: {min: -0.1}}}, {tier: large}]}]"),
              HasSubstr("policies[0].tiers[0].accept.self_check.min must be set and in [0, 1]"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small, accept: "
                                            "{self_check: {}}}, {tier: large}]}]"),
              HasSubstr("self_check.min"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small, accept: "
                                            "{calibrated: {min_probability: 1.5, weights: "
                                            "[{signal: logprob_mean, weight: 1}]}}}, "
                                            "{tier: large}]}]"),
              HasSubstr("policies[0].tiers[0].accept.calibrated.min_probability must be set and "
                        "in [0, 1]"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "policies: [{name: p, tiers: [{tier: small, accept: "
                                            "{calibrated: {min_probability: 0.9, weights: "
                                            "[{signal: logprob_mena, weight: 1}]}}}, "
                                            "{tier: large}]}]"),
              HasSubstr("policies[0].tiers[0].accept.calibrated.weights[0].signal "
                        "'logprob_mena'"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small, accept: {judge: {min: 0.5}}}, "
                      "{tier: large}]}]"),
              HasSubstr("judge.address is not set"));
  const std::string weighs_estimate =
      "policies: [{name: p, ROUTING tiers: [{tier: small, accept: {calibrated: "
      "{min_probability: 0.9, weights: [{signal: router_estimate_log_odds, weight: 1}]}}}, "
      "{tier: large}]}]";
  EXPECT_THAT(
      ErrorOf(std::string(kTiers) + absl::StrReplaceAll(weighs_estimate, {{"ROUTING ", ""}})),
      HasSubstr("policy 'p' weighs router_estimate but router.address is not set"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) + "router: {address: \"127.0.0.1:3\"}\n" +
                      absl::StrReplaceAll(weighs_estimate, {{"ROUTING", "routing: false,"}})),
              HasSubstr("policies[0]: a calibrated rule weighs router_estimate, which asks the "
                        "router, but routing is off"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small, accept: {combine: xor}}]}]"),
              HasSubstr("combine 'xor'"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small}]}]\ndefault_policy: q"),
              HasSubstr("default_policy 'q' is not a configured policy"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small}], default_deadline: 10s, "
                      "max_deadline: 5s}]"),
              HasSubstr("default_deadline must be <= max_deadline"));
  EXPECT_THAT(ErrorOf(std::string(kTiers) +
                      "policies: [{name: p, tiers: [{tier: small}], default_budget_usd: -1}]"),
              HasSubstr("default_budget_usd"));
  EXPECT_THAT(ErrorOf("tiers: [{name: a, endpoint: {address: x}, fallback_price: "
                      "{input_usd_per_mtok: 1}}]\npolicies: [{name: p, tiers: [{tier: a}]}]"),
              HasSubstr("set both"));
}

}  // namespace
}  // namespace cascade::orchestrator
