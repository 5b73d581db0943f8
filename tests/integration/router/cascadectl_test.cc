// cascadectl as an operator uses it: `routes fit` on labeled queries writes thresholds into
// a routes file; `route` and `routes list` ask a running cascade-router.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/server_process.h"

namespace cascade {
namespace {

using ::testing::HasSubstr;
using testing::ServerProcess;
namespace fs = std::filesystem;

const std::string kCascadectl = std::string(CASCADE_BIN_DIR) + "/cascadectl";
const std::string kRouter = std::string(CASCADE_BIN_DIR) + "/cascade-router";

constexpr char kRoutes[] = R"(default: general
routes:
  - name: greetings
    utterances: [hello there, good morning, "hi, how are you doing today"]
    start_tier: small
  - name: code
    utterances: [write a python function that sorts a list, why does my C++ program segfault]
    start_tier: large
  - name: faq
    utterances: [how do I reset my password, what are your opening hours]
    tier: small
)";

constexpr char kLabeled[] = R"({"text": "hello, good morning", "label": "greetings"}
{"text": "hey there, how are you", "label": "greetings"}
{"text": "my python code crashes", "label": "code"}
{"text": "write a function to sort a list in java", "label": "code"}
{"text": "I forgot my password", "label": "faq"}
{"text": "when are you open", "label": "faq"}

{"text": "what is the weather tomorrow", "label": "oos"}
{"text": "book me a flight to paris", "label": "oos"}
{"text": "play some jazz music", "label": "oos"}
)";

class CascadectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cascadectl_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    routes_ = (dir_ / "routes.yaml").string();
    labeled_ = (dir_ / "labeled.jsonl").string();
    std::ofstream(routes_) << kRoutes;
    std::ofstream(labeled_) << kLabeled;
  }

  testing::ProcessResult Run(const std::vector<std::string>& args, std::string* output) {
    output->clear();
    return ServerProcess::RunToExit(kCascadectl, args, output);
  }

  static std::string Read(const std::string& path) {
    std::ifstream file(path);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  fs::path dir_;
  std::string routes_;
  std::string labeled_;
};

TEST_F(CascadectlTest, HelpListsTheCommands) {
  std::string output;
  EXPECT_EQ(Run({"--help"}, &output).code, 0);
  EXPECT_THAT(output, HasSubstr("routes fit"));
  EXPECT_THAT(output, HasSubstr("routes list"));
  EXPECT_EQ(Run({"routes", "fit", "--help"}, &output).code, 0);
  EXPECT_THAT(output, HasSubstr("--data"));
  EXPECT_EQ(Run({"frobnicate"}, &output).code, 2);
  EXPECT_THAT(output, HasSubstr("unknown command 'frobnicate'"));
  EXPECT_EQ(Run({"routes", "fit", "--routes", routes_}, &output).code, 2);
  EXPECT_THAT(output, HasSubstr("--data is required"));
  EXPECT_EQ(
      Run({"routes", "fit", "--data", labeled_, "--routes", routes_, "--dta", "x"}, &output).code,
      2);
  EXPECT_THAT(output, HasSubstr("unknown flag --dta"));
}

TEST_F(CascadectlTest, RoutesFitWritesThresholdsIntoTheRoutesFile) {
  std::string output;
  const std::string fitted = (dir_ / "fitted.yaml").string();
  testing::ProcessResult result =
      Run({"routes", "fit", "--data", labeled_, "--routes", routes_, "--out", fitted, "--json"},
          &output);
  ASSERT_EQ(result.code, 0) << output;
  nlohmann::json report = nlohmann::json::parse(output);
  EXPECT_EQ(report["queries"], 9);
  EXPECT_EQ(report["in_scope"], 6);
  EXPECT_EQ(report["out_of_scope"], 3);
  EXPECT_EQ(report["written"], fitted);
  const double threshold = report["global_threshold"];
  EXPECT_GT(threshold, 0.0);
  EXPECT_GE(report["after"]["accuracy"].get<double>(), report["before"]["accuracy"].get<double>());
  EXPECT_THAT(Read(fitted), HasSubstr("threshold: "));
  EXPECT_THAT(Read(routes_), ::testing::Not(HasSubstr("threshold")));  // --out: untouched.

  // Without --out the routes file itself gets the thresholds; the text report names it.
  result = Run({"routes", "fit", "--data", labeled_, "--routes", routes_}, &output);
  ASSERT_EQ(result.code, 0) << output;
  EXPECT_THAT(output, HasSubstr("global threshold"));
  EXPECT_THAT(output, HasSubstr("wrote " + routes_));
  EXPECT_THAT(Read(routes_), HasSubstr("threshold: "));
}

TEST_F(CascadectlTest, RoutesFitRejectsALabelThatNamesNoRoute) {
  std::ofstream(labeled_, std::ios::app) << R"({"text": "x", "label": "billing"})"
                                         << "\n";
  std::string output;
  testing::ProcessResult result =
      Run({"routes", "fit", "--data", labeled_, "--routes", routes_, "--dry-run"}, &output);
  EXPECT_EQ(result.code, 1);
  EXPECT_THAT(output, HasSubstr("billing"));
}

TEST_F(CascadectlTest, RouteAndRoutesListAskARunningRouter) {
  const std::string config = (dir_ / "router.yaml").string();
  std::ofstream(config) << "server:\n  drain_delay: 0s\nroutes_file: " << routes_ << "\n";
  auto router = ServerProcess::Start(kRouter, {"--config", config});
  ASSERT_TRUE(router.ok()) << router.status();
  const std::string address = (*router)->grpc_address();

  std::string output;
  ASSERT_EQ(Run({"route", "hello, good morning to you", "--router", address}, &output).code, 0)
      << output;
  EXPECT_THAT(output, HasSubstr("route:    greetings"));
  EXPECT_THAT(output, HasSubstr("start_tier small"));

  ASSERT_EQ(Run({"route", "I forgot my password", "--router", address, "--json"}, &output).code, 0);
  nlohmann::json decision = nlohmann::json::parse(output);
  EXPECT_EQ(decision["route"], "faq");
  EXPECT_EQ(decision["fixed_tier"], "small");

  ASSERT_EQ(Run({"routes", "list", "--router", address}, &output).code, 0) << output;
  EXPECT_THAT(output, HasSubstr("greetings"));
  EXPECT_THAT(output, HasSubstr("default route: general"));

  EXPECT_EQ(Run({"route", "", "--router", address}, &output).code, 1);
  EXPECT_THAT(output, HasSubstr("INVALID_ARGUMENT: query is empty"));
}

}  // namespace
}  // namespace cascade
