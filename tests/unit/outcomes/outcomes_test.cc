// The outcomes format's reader: records as recorded, and every mistake named by line and
// field (tests/data/outcomes/ladder.jsonl is the project's own fixture).

#include "common/outcomes/outcomes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace cascade::outcomes {
namespace {

using ::testing::HasSubstr;

const std::string kFixture = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/ladder.jsonl";

std::string WriteFile(const std::string& text) {
  std::string path = ::testing::TempDir() + "/outcomes-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl";
  std::ofstream(path) << text;
  return path;
}

constexpr char kGood[] =
    R"({"id": "a", "messages": [{"role": "user", "content": "hi"}], )"
    R"("models": {"m": {"answer": "yo", "usage": {"prompt_tokens": 1, "completion_tokens": 2}}}})";

TEST(Outcomes, ReadsTheFixtureAsRecorded) {
  auto records = ReadOutcomesFile(kFixture);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);  // The blank line is skipped.
  const OutcomeRecord& first = (*records)[0];
  EXPECT_EQ(first.id, "q1");
  ASSERT_EQ(first.messages.size(), 2u);
  EXPECT_EQ(first.messages[0].role(), "system");
  ASSERT_EQ(first.models.size(), 3u);
  EXPECT_EQ(first.models[0].first, "tiny");  // The file's order: the ladder's.
  EXPECT_EQ(first.models[2].first, "top");
  const ModelOutcome* tiny = first.Find("tiny");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(tiny->answer, "Paris");
  EXPECT_EQ(tiny->correct, true);
  EXPECT_EQ(tiny->usage.prompt_tokens(), 12);
  ASSERT_EQ(tiny->logprobs.size(), 1u);
  EXPECT_DOUBLE_EQ(tiny->logprobs[0].logprob(), -0.05);
  ASSERT_TRUE(tiny->self_check.has_value());
  EXPECT_DOUBLE_EQ(tiny->self_check->p_yes, 0.93);
  EXPECT_EQ(tiny->self_check->usage.prompt_tokens(), 30);
  EXPECT_EQ(tiny->latency_ms, 40);
  EXPECT_EQ(first.Find("nobody"), nullptr);

  const OutcomeRecord& third = (*records)[2];
  EXPECT_EQ(third.messages[0].content(), "Who wrote \"Middlemarch\"? Answer: caf\xC3\xA9 style");
  EXPECT_TRUE(third.Find("tiny")->usage_estimated);
  EXPECT_EQ(third.Find("mid")->quality, 0.5);
  EXPECT_FALSE(third.Find("mid")->correct.has_value());
}

TEST(Outcomes, EveryMistakeNamesItsField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2]", "not a JSON object"},
      {"{\"id\": 1", "not a JSON object"},
      {R"({"id": 7, "messages": [], "models": {}})", "id must be a string"},
      {R"({"id": "a", "models": {"m": {}}})", "messages is missing"},
      {R"({"id": "a", "messages": [{"role": "robot", "content": "x"}], "models": {"m": {}}})",
       "messages[0].role 'robot'"},
      {R"({"id": "a", "messages": [{"role": "user"}], "models": {}})",
       "messages[0] needs a string content"},
      {R"({"id": "a", "messages": [{"role": "user", "content": "x"}], "models": {}})",
       "models must be an object with at least one model"},
      {R"({"id": "a", "messages": [{"role": "user", "content": "x"}], "extra": 1,
           "models": {"m": {}}})",
       "extra is not a field of the outcomes format"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"usage": {}}}})",
       "models.m.answer must be a string"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y"}}})",
       "models.m.usage is missing"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": -1, "completion_tokens": 1}}}})",
       "models.m.usage.prompt_tokens must be an integer >= 0"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "correct": "yes"}}})",
       "models.m.correct must be true or false"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "quality": 2}}})",
       "models.m.quality must be a number in [0, 1]"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1},
           "logprobs": [{"token": "y", "logprob": 0.5}]}}})",
       "models.m.logprobs[0].logprob must be a number <= 0"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "self_check": {}}}})",
       "models.m.self_check.p_yes is missing"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "corect": true}}})",
       "models.m.corect is not a field of the outcomes format"},
      {R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
           "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "router_estimate": 1.5}}})",
       "models.m.router_estimate must be a number in [0, 1]"},
  };
  for (const auto& [line, message] : cases) {
    auto record = ParseOutcomeLine(line);
    EXPECT_EQ(record.status().code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_THAT(record.status().message(), HasSubstr(message)) << line;
  }
  EXPECT_TRUE(ParseOutcomeLine(kGood).ok());
  auto estimated = ParseOutcomeLine(
      R"({"messages": [{"role": "user", "content": "x"}], "models": {"m": {"answer": "y",
          "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "router_estimate": 0.3}}})");
  ASSERT_TRUE(estimated.ok()) << estimated.status();
  EXPECT_EQ(estimated->Find("m")->router_estimate, 0.3);
}

TEST(Outcomes, AFileErrorNamesThePathAndLine) {
  const std::string path = WriteFile(std::string(kGood) + "\n\n" +
                                     R"({"id": "b", "messages": [], "models": {}})" + "\n");
  auto records = ReadOutcomesFile(path);
  EXPECT_EQ(records.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(records.status().message(), HasSubstr(path + ":3: messages: at least one message"));

  const std::string twice = WriteFile(std::string(kGood) + "\n" + kGood + "\n");
  EXPECT_THAT(ReadOutcomesFile(twice).status().message(),
              HasSubstr(twice + ":2: id 'a' is used twice"));

  auto missing = ReadOutcomesFile("/nonexistent/outcomes.jsonl");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/outcomes.jsonl"));
}

TEST(Outcomes, TheMessagesKeyIsRolesAndContentsExactly) {
  auto message = [](const std::string& role, const std::string& content) {
    v1::ChatMessage m;
    m.set_role(role);
    m.set_content(content);
    return m;
  };
  const std::string key = MessagesKey({message("system", "s"), message("user", "q")});
  EXPECT_EQ(key, MessagesKey({message("system", "s"), message("user", "q")}));
  EXPECT_NE(key, MessagesKey({message("user", "s"), message("user", "q")}));
  EXPECT_NE(key, MessagesKey({message("system", "s"), message("user", "q ")}));
  EXPECT_NE(key, MessagesKey({message("user", "q")}));
  // No content can pass for a message boundary.
  EXPECT_NE(MessagesKey({message("user", "a;4:userb")}),
            MessagesKey({message("user", "a"), message("user", "b")}));
}

}  // namespace
}  // namespace cascade::outcomes
