// cascadectl log to-outcomes: a decision log line becomes an outcomes record the strict
// reader accepts, with every answered attempt; failed requests are skipped; a log written
// without include_prompt, or a line that is no decision, is named with its file and line.

#include "tools/cascadectl/log_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/outcomes/outcomes.h"

namespace cascade::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json Decision() {
  return json::parse(R"({
    "request_id": "req-7", "outcome": "ok", "policy": "ladder",
    "messages": [{"content": "Capital of France?", "role": "user"}],
    "attempts": [
      {"tier": "small", "model": "tiny", "accepted": false, "rule": "self_check",
       "signals": {"completion_tokens": 1, "self_check": {"p_yes": 0.4, "source": "recorded"}},
       "usage": {"prompt_tokens": 12, "completion_tokens": 1}, "cost_pusd": 5,
       "latency_ms": 3.5, "self_check_usage": {"prompt_tokens": 30, "completion_tokens": 1},
       "answer": "Lyon", "logprobs": [{"token": "Lyon", "logprob": -0.9}]},
      {"tier": "mid", "model": "mid", "accepted": false, "rule": "logprob:mean",
       "signals": {"completion_tokens": 0}, "usage": {"prompt_tokens": 0, "completion_tokens": 0},
       "cost_pusd": 0, "latency_ms": 1, "error": "UNAVAILABLE: down"},
      {"tier": "large", "model": "top", "accepted": true, "rule": "none",
       "signals": {"completion_tokens": 1}, "usage": {"prompt_tokens": 12, "completion_tokens": 1},
       "cost_pusd": 9, "latency_ms": 4, "answer": "Paris", "logprobs": []}]})");
}

TEST(LogCommandTest, ADecisionBecomesARecordTheReaderAccepts) {
  auto outcome = DecisionToOutcome(Decision());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_TRUE(outcome->has_value());
  auto record = outcomes::ParseOutcomeLine((*outcome)->dump());
  ASSERT_TRUE(record.ok()) << record.status() << "\n" << (*outcome)->dump();
  EXPECT_EQ(record->id, "req-7");
  ASSERT_EQ(record->messages.size(), 1u);
  EXPECT_EQ(record->messages[0].content(), "Capital of France?");
  ASSERT_EQ(record->models.size(), 2u);  // The failed attempt answered nothing.
  const outcomes::ModelOutcome* tiny = record->Find("tiny");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(tiny->answer, "Lyon");
  EXPECT_EQ(tiny->usage.prompt_tokens(), 12);
  ASSERT_EQ(tiny->logprobs.size(), 1u);
  EXPECT_DOUBLE_EQ(tiny->logprobs[0].logprob(), -0.9);
  ASSERT_TRUE(tiny->self_check.has_value());
  EXPECT_DOUBLE_EQ(tiny->self_check->p_yes, 0.4);
  EXPECT_EQ(tiny->self_check->usage.prompt_tokens(), 30);
  EXPECT_FALSE(tiny->correct.has_value());  // Traffic is not graded.
  const outcomes::ModelOutcome* top = record->Find("top");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->answer, "Paris");
  EXPECT_TRUE(top->logprobs.empty());
  EXPECT_EQ(record->Find("mid"), nullptr);
}

TEST(LogCommandTest, TheRoutersEstimatesFollowTheirTiersModels) {
  json decision = Decision();
  decision["start"] = {{"tier", "small"},
                       {"why", "learned_start"},
                       {"estimates",
                        {{"small", {{"probability", 0.25}, {"neighbours", 4}}},
                         {"large", {{"probability", 0.75}, {"neighbours", 4}}}}}};
  auto outcome = DecisionToOutcome(decision);
  ASSERT_TRUE(outcome.ok() && outcome->has_value()) << outcome.status();
  auto record = outcomes::ParseOutcomeLine((*outcome)->dump());
  ASSERT_TRUE(record.ok()) << record.status();
  // Estimates are per tier; the record is per model: small answered as "tiny".
  ASSERT_TRUE(record->Find("tiny")->router_estimate.has_value());
  EXPECT_DOUBLE_EQ(*record->Find("tiny")->router_estimate, 0.25);
  EXPECT_DOUBLE_EQ(*record->Find("top")->router_estimate, 0.75);
  // Without estimates (no learned start), none is made up.
  auto plain = DecisionToOutcome(Decision());
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_FALSE((**plain)["models"]["tiny"].contains("router_estimate"));
}

TEST(LogCommandTest, FailedRequestsAreSkippedAndPromptlessLogsRefused) {
  json failed = {{"request_id", "r"}, {"outcome", "unavailable"}, {"error", "all down"}};
  auto skipped = DecisionToOutcome(failed);
  ASSERT_TRUE(skipped.ok());
  EXPECT_FALSE(skipped->has_value());

  json promptless = Decision();
  promptless.erase("messages");
  EXPECT_THAT(DecisionToOutcome(promptless).status().message(), HasSubstr("include_prompt"));
  EXPECT_THAT(DecisionToOutcome(json{{"id", 1}}).status().message(), HasSubstr("request_id"));
}

TEST(LogCommandTest, ConvertsFilesAndNamesTheBadLine) {
  const std::string path =
      ::testing::TempDir() + "/decisions_" + std::to_string(::getpid()) + ".jsonl";
  {
    std::ofstream file(path);
    file << Decision().dump() << "\n"
         << json{{"request_id", "r2"}, {"outcome", "deadline_exceeded"}}.dump() << "\n";
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunLog({"to-outcomes", path}, out, err), 0) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("\"id\":\"req-7\""));
  EXPECT_THAT(err.str(), HasSubstr("1 requests converted, 1 skipped"));

  {
    std::ofstream file(path, std::ios::app);
    file << "{not json\n";
  }
  std::ostringstream out2, err2;
  EXPECT_EQ(RunLog({"to-outcomes", path}, out2, err2), 1);
  EXPECT_THAT(err2.str(), HasSubstr(path + ":3: not valid JSON"));
  std::ostringstream out3, err3;
  EXPECT_EQ(RunLog({"summary", path}, out3, err3), 2);
}

// A shadow evaluation's line labels the model it compared; one without a verdict (its
// shadow call failed) or for a request not in the files labels nothing.
TEST(LogCommandTest, ShadowEvaluationsLabelTheirRequestsRecords) {
  const std::string path =
      ::testing::TempDir() + "/shadowed_" + std::to_string(::getpid()) + ".jsonl";
  {
    std::ofstream file(path);
    file << Decision().dump() << "\n"
         << json{{"kind", "shadow"}, {"request_id", "req-7"}, {"tier", "small"},
                 {"model", "tiny"},  {"agrees", false},       {"shadow_model", "top"}}
                .dump()
         << "\n"
         << json{{"kind", "shadow"},
                 {"request_id", "req-7"},
                 {"model", "tiny"},
                 {"error", "UNAVAILABLE: down"}}
                .dump()
         << "\n"
         << json{{"kind", "shadow"},
                 {"request_id", "elsewhere"},
                 {"model", "tiny"},
                 {"agrees", true}}
                .dump()
         << "\n";
  }
  std::ostringstream out, err;
  ASSERT_EQ(RunLog({"to-outcomes", path}, out, err), 0) << err.str();
  EXPECT_THAT(err.str(), HasSubstr("1 of 3 shadow evaluations applied as labels"));
  auto record = outcomes::ParseOutcomeLine(out.str().substr(0, out.str().find('\n')));
  ASSERT_TRUE(record.ok()) << record.status() << "\n" << out.str();
  const outcomes::ModelOutcome* tiny = record->Find("tiny");
  ASSERT_NE(tiny, nullptr);
  ASSERT_TRUE(tiny->correct.has_value());
  EXPECT_FALSE(*tiny->correct);
  EXPECT_FALSE(record->Find("top")->correct.has_value());  // Not what was compared.
}

}  // namespace
}  // namespace cascade::cli
