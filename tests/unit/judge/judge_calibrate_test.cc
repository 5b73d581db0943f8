// `cascadectl judge calibrate` on the labeled sample in tests/data/judge.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/cascadectl/judge_calibrate_command.h"

namespace cascade::cli {
namespace {

using ::testing::HasSubstr;

const std::string kSample =
    std::string(CASCADE_SOURCE_DIR) + "/tests/data/judge/calibration_sample.jsonl";

int Calibrate(const std::vector<std::string>& args, std::string* out, std::string* err) {
  std::ostringstream o, e;
  const int code = RunJudgeCalibrate(args, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST(JudgeCalibrateTest, ReportsHeldOutMeasuresAndAConfigSnippet) {
  std::string out, err;
  ASSERT_EQ(Calibrate({kSample, "--json"}, &out, &err), 0) << err;
  const nlohmann::json report = nlohmann::json::parse(out);
  EXPECT_EQ(report["records"], 80);
  EXPECT_EQ(report["train"], 56);
  EXPECT_EQ(report["test"], 24);
  std::map<std::string, nlohmann::json> methods;
  for (const auto& m : report["methods"]) methods[m["method"]] = m;
  for (const char* name :
       {"logprob:mean", "logprob:min", "logprob:p10", "logprob:mean_len", "validators", "llm"}) {
    ASSERT_EQ(methods.count(name), 1u) << name;
    const nlohmann::json& m = methods[name];
    EXPECT_GE(m["auc"].get<double>(), 0.0);
    EXPECT_LE(m["auc"].get<double>(), 1.0);
    EXPECT_EQ(m["test"], 24);
  }
  // The sample separates by logprobs: better than chance, and the fit does not make the
  // Brier score of the raw exp(mean) worse.
  EXPECT_GT(methods["logprob:min"]["auc"].get<double>(), 0.7);
  EXPECT_LT(methods["logprob:mean"]["brier_after"].get<double>(),
            methods["logprob:mean"]["brier_before"].get<double>());
  EXPECT_GT(methods["logprob:mean"]["slope"].get<double>(), 0);
  const std::string yaml = report["config_yaml"];
  EXPECT_THAT(yaml, HasSubstr("logprob_aggregate: "));
  EXPECT_THAT(yaml, HasSubstr("calibration:\n  - method: llm\n    slope: "));
  EXPECT_THAT(yaml, HasSubstr("  - method: logprob\n"));
}

TEST(JudgeCalibrateTest, TheSeedDecidesTheSplitAndTheTableIsPrinted) {
  std::string a, b, c, err;
  ASSERT_EQ(Calibrate({kSample, "--seed", "3"}, &a, &err), 0) << err;
  ASSERT_EQ(Calibrate({kSample, "--seed", "3"}, &b, &err), 0);
  ASSERT_EQ(Calibrate({kSample, "--seed", "4", "--train-fraction", "0.5"}, &c, &err), 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_THAT(a, HasSubstr("80 records: 56 to fit, 24 held out (seed 3)"));
  EXPECT_THAT(a, HasSubstr("Brier bef/aft"));
  EXPECT_THAT(c, HasSubstr("40 to fit, 40 held out"));
}

TEST(JudgeCalibrateTest, BadInputSaysWhatToFix) {
  std::string out, err;
  EXPECT_EQ(Calibrate({}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("give one FILE.jsonl"));
  EXPECT_EQ(Calibrate({kSample, "--train-fraction", "1.5"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--train-fraction"));
  EXPECT_EQ(Calibrate({"/nonexistent.jsonl"}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("cannot read /nonexistent.jsonl"));

  const std::string path = ::testing::TempDir() + "/judge_calibrate_bad.jsonl";
  std::ofstream(path) << "{\"label\": 1, \"logprobs\": [-0.1]}\n{\"label\": 2}\n";
  EXPECT_EQ(Calibrate({path}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(":2: \"label\" must be 0 or 1"));
  std::ofstream(path) << "{\"label\": 1, \"logprobs\": [-0.1, 0.5]}\n";
  EXPECT_EQ(Calibrate({path}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr(":1: answer_logprobs[1] is 0.5"));
}

}  // namespace
}  // namespace cascade::cli
