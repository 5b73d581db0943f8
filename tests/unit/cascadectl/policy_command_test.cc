// cascadectl policy fit and eval as a user drives them: a fit on the project's fixture writes
// a policies file eval reads back; missing or malformed flags are usage errors naming the
// flag; a file that cannot be written fails the command.

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
