// cascadectl policy fit and eval as a user drives them: a fit on the project's fixture writes
// a policies file eval reads back (a combined fit's `calibrated` rule to the last bit); missing or
// malformed flags are usage errors naming the flag; a file that cannot be written fails the
// command.

#include "tools/cascadectl/policy_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace cascade::cli {
namespace {

using ::testing::HasSubstr;

const std::string kData = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/";

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome Policy(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunPolicy(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(PolicyCommandTest, AFitWritesAPoliciesFileThatEvalReads) {
  const std::string file =
      ::testing::TempDir() + "/policies_" + std::to_string(::getpid()) + ".yaml";
  Outcome fit =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--tier-name", "tiny=small", "--out", file, "--json"});
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_TRUE(nlohmann::json::parse(fit.out)["chosen"].is_number_integer());
  std::ifstream written(file);
  const std::string yaml((std::istreambuf_iterator<char>(written)), {});
  EXPECT_THAT(yaml, HasSubstr("policies:\n  - name: fitted\n"));
  EXPECT_THAT(yaml, HasSubstr("- tier: \"small\""));

  Outcome eval = Policy({"eval", "--outcomes", kData + "fit_test.jsonl", "--prices",
                         kData + "prices.yaml", "--policy", file, "--tier-name", "tiny=small"});
  ASSERT_EQ(eval.code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("200 queries (200 graded)"));
  EXPECT_THAT(eval.out, HasSubstr("small"));
}

// On tiny alone before the top model, with no drop allowed, the fixture's combination of
// tiny's logprobs and self-check is the cheapest certified policy: the file carries it as a
// `calibrated` rule whose numbers read back as those the fitter simulated, so eval's cost on
// the training queries is the fitter's to the last bit.
TEST(PolicyCommandTest, ACombinedFitReadsBackAsTheFitterSimulatedIt) {
  const std::string file =
      ::testing::TempDir() + "/combined_" + std::to_string(::getpid()) + ".yaml";
  Outcome fit =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0", "--tiers", "tiny,top", "--out", file, "--json"});
  ASSERT_EQ(fit.code, 0) << fit.err;
  const nlohmann::json result = nlohmann::json::parse(fit.out);
  ASSERT_TRUE(result["chosen"].is_number_integer());
  const nlohmann::json& chosen = result["sequence"][result["chosen"].get<int>()];
  ASSERT_EQ(chosen["signal"], "combined");
  ASSERT_EQ(chosen["combinations"].size(), 1u);
  EXPECT_EQ(chosen["combinations"][0]["tier"], "tiny");
  EXPECT_TRUE(chosen["combinations"][0]["weights"].contains("self_check_log_odds"));
  std::ifstream written(file);
  const std::string yaml((std::istreambuf_iterator<char>(written)), {});
  EXPECT_THAT(yaml, HasSubstr("        accept:\n          calibrated:\n            "
                              "min_probability: "));
  EXPECT_THAT(yaml, HasSubstr("- {signal: self_check_log_odds, weight: "));

  Outcome eval = Policy({"eval", "--outcomes", kData + "fit_train.jsonl", "--prices",
                         kData + "prices.yaml", "--policy", file, "--json"});
  ASSERT_EQ(eval.code, 0) << eval.err;
  const nlohmann::json evaluation = nlohmann::json::parse(eval.out);
  EXPECT_EQ(evaluation["cost_ratio"].get<double>(), chosen["training"]["cost_ratio"].get<double>());
  EXPECT_NEAR(evaluation["quality_drop"].get<double>(), chosen["training"]["drop"].get<double>(),
              1e-12);
  ASSERT_EQ(evaluation["final_tiers"].size(), 2u);
  EXPECT_EQ(evaluation["final_tiers"][0]["share"].get<double>(),
            chosen["training"]["final_share"][0].get<double>());
}

TEST(PolicyCommandTest, MistakesAreUsageErrorsNamingTheFlag) {
  EXPECT_EQ(Policy({}).code, 2);
  EXPECT_THAT(Policy({"tune"}).err, HasSubstr("give a subcommand: fit or eval"));
  Outcome missing = Policy({"fit", "--outcomes", kData + "fit_train.jsonl"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--prices is required"));
  Outcome not_a_number =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "two", "--out", "/tmp/x"});
  EXPECT_EQ(not_a_number.code, 2);
  EXPECT_THAT(not_a_number.err, HasSubstr("--max-quality-drop 'two' is not a number"));
  Outcome bad_name =
      Policy({"eval", "--outcomes", kData + "fit_test.jsonl", "--prices", kData + "prices.yaml",
              "--policy", "/tmp/p.yaml", "--tier-name", "tiny"});
  EXPECT_EQ(bad_name.code, 2);
  EXPECT_THAT(bad_name.err, HasSubstr("must be MODEL=TIER"));
  EXPECT_EQ(Policy({"fit", "--typo", "x"}).code, 2);
}

TEST(PolicyCommandTest, BadEstimateFoldsAreUsageErrorsNamingTheFlag) {
  for (const char* folds : {"1", "21", "five", "2.5"}) {
    Outcome bad = Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices",
                          kData + "prices.yaml", "--max-quality-drop", "0.05", "--out", "/tmp/x",
                          "--cross-fit-router-estimates", "--estimate-folds", folds});
    EXPECT_EQ(bad.code, 2) << folds;
    EXPECT_THAT(bad.err, HasSubstr(std::string("--estimate-folds '") + folds +
                                   "' must be a whole number from 2 to 20"));
  }
  Outcome alone =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", "/tmp/x", "--estimate-folds", "5"});
  EXPECT_EQ(alone.code, 2);
  EXPECT_THAT(alone.err, HasSubstr("--estimate-folds needs --cross-fit-router-estimates"));
  EXPECT_THAT(Policy({"--help"}).out, HasSubstr("--cross-fit-router-estimates"));
  EXPECT_THAT(Policy({"--help"}).out, HasSubstr("--estimate-folds"));
}

// --guarantee expected: the fit, its JSON, its summary and the policy file's comment say which
// promise was made; an unknown guarantee is a usage error naming the choices.
TEST(PolicyCommandTest, TheExpectedGuaranteeIsSaidWhereverThePromiseIs) {
  const std::string file =
      ::testing::TempDir() + "/policies_expected_" + std::to_string(::getpid()) + ".yaml";
  Outcome fit =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", file, "--guarantee", "expected", "--json"});
  ASSERT_EQ(fit.code, 0) << fit.err;
  const nlohmann::json json = nlohmann::json::parse(fit.out);
  EXPECT_EQ(json["guarantee"], "expected");
  ASSERT_TRUE(json["chosen"].is_number_integer());
  const nlohmann::json& chosen = json["sequence"][json["chosen"].get<int>()];
  EXPECT_TRUE(chosen["certified"].get<bool>());
  EXPECT_LE(chosen["drop_upper_bound"].get<double>(), 0.05);
  EXPECT_FALSE(chosen.contains("p_value"));
  std::ifstream written(file);
  const std::string yaml((std::istreambuf_iterator<char>(written)), {});
  EXPECT_THAT(yaml, HasSubstr("<= 0.0500 in expectation"));
  Outcome text =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", file, "--guarantee", "expected"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("target: drop <= 0.0500 in expectation"));
  Outcome strict =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", file, "--json"});
  ASSERT_EQ(strict.code, 0) << strict.err;
  EXPECT_EQ(nlohmann::json::parse(strict.out)["guarantee"], "high-probability");

  Outcome unknown =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", file, "--guarantee", "mostly"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--guarantee 'mostly' must be high-probability or expected"));
  EXPECT_THAT(Policy({"--help"}).out, HasSubstr("--guarantee high-probability|expected"));
}

// Cross-fitted on the fixture (which records no router estimate), the fit says so.
TEST(PolicyCommandTest, ACrossFittedFitSaysWhereItsEstimatesCameFrom) {
  const std::string file =
      ::testing::TempDir() + "/policies_cross_" + std::to_string(::getpid()) + ".yaml";
  Outcome fit = Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices",
                        kData + "prices.yaml", "--max-quality-drop", "0.05", "--out", file,
                        "--cross-fit-router-estimates", "--estimate-folds", "3", "--json"});
  ASSERT_EQ(fit.code, 0) << fit.err;
  const nlohmann::json json = nlohmann::json::parse(fit.out);
  EXPECT_EQ(json["router_estimates"]["source"], "cross-fitted");
  EXPECT_EQ(json["router_estimates"]["folds"], 3);
  EXPECT_EQ(json["router_estimates"]["missing"], 0);
  Outcome text =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", file, "--cross-fit-router-estimates"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("router_estimate: cross-fitted"));
}

// A rule on the router's estimate: the fixture records none, so eval asks for training
// outcomes; with --exemplars it answers every query, and an unreadable file fails naming it.
TEST(PolicyCommandTest, EvalOfARuleOnTheRoutersEstimateLearnsFromExemplars) {
  const std::string file =
      ::testing::TempDir() + "/policies_estimate_" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(file) << R"(policies:
  - name: estimated
    tiers:
      - tier: tiny
        accept:
          calibrated:
            min_probability: 0.5
            weights: [{signal: router_estimate_log_odds, weight: 1}]
      - {tier: top}
)";
  const std::vector<std::string> eval = {
      "eval", "--outcomes", kData + "fit_test.jsonl", "--prices", kData + "prices.yaml", "--policy",
      file,   "--json"};
  Outcome without = Policy(eval);
  EXPECT_EQ(without.code, 1);
  EXPECT_THAT(without.err, HasSubstr("--exemplars"));

  std::vector<std::string> with = eval;
  with.insert(with.end(), {"--exemplars", kData + "fit_train.jsonl"});
  Outcome learned = Policy(with);
  ASSERT_EQ(learned.code, 0) << learned.err;
  const nlohmann::json json = nlohmann::json::parse(learned.out);
  EXPECT_EQ(json["queries"], 200);
  EXPECT_TRUE(json["errors"].empty());

  with.back() = "/nonexistent/train.jsonl";
  Outcome unreadable = Policy(with);
  EXPECT_EQ(unreadable.code, 1);
  EXPECT_THAT(unreadable.err, HasSubstr("/nonexistent/train.jsonl"));
}

TEST(PolicyCommandTest, FilesThatCannotBeReadOrWrittenFailTheCommand) {
  Outcome unwritable =
      Policy({"fit", "--outcomes", kData + "fit_train.jsonl", "--prices", kData + "prices.yaml",
              "--max-quality-drop", "0.05", "--out", "/nonexistent-dir/policies.yaml"});
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_THAT(unwritable.err, HasSubstr("cannot write /nonexistent-dir/policies.yaml"));
  Outcome unreadable = Policy({"eval", "--outcomes", kData + "fit_test.jsonl", "--prices",
                               kData + "prices.yaml", "--policy", "/nonexistent/policies.yaml"});
  EXPECT_EQ(unreadable.code, 1);
  EXPECT_THAT(unreadable.err, HasSubstr("/nonexistent/policies.yaml"));
}

}  // namespace
}  // namespace cascade::cli
