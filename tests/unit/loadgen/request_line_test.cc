#include "tools/common/request_line.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::tools {
namespace {

using ::testing::HasSubstr;

TEST(RequestLineTest, APromptBecomesOneUserMessageUnderTheDefaultPolicy) {
  auto request = ParseRequestLine(R"({"prompt": "hi", "max_tokens": 12})", "default");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->policy(), "default");
  ASSERT_EQ(request->messages_size(), 1);
  EXPECT_EQ(request->messages(0).role(), "user");
  EXPECT_EQ(request->messages(0).content(), "hi");
  EXPECT_EQ(request->params().max_tokens(), 12);
}

TEST(RequestLineTest, MessagesAndTheLinesOwnPolicyAreKept) {
  auto request = ParseRequestLine(
      R"({"policy": "cheap", "messages": [{"role": "system", "content": "be brief"},
                                          {"content": "hello"}]})",
      "default");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->policy(), "cheap");
  ASSERT_EQ(request->messages_size(), 2);
  EXPECT_EQ(request->messages(0).role(), "system");
  EXPECT_EQ(request->messages(1).role(), "user");
}

TEST(RequestLineTest, InputValidationSaysWhatTheLineLacks) {
  struct Case {
    std::string line;
    std::string says;
  };
  for (const Case& bad : std::vector<Case>{
           {"not json", "not a JSON object"},
           {"[1, 2]", "not a JSON object"},
           {R"({"prompt": 5})", "needs \"prompt\""},
           {R"({"messages": [{"role": "user"}]})", "string \"content\""},
           {R"({"prompt": "x", "max_tokens": 0})", "max_tokens"},
           {R"({"prompt": "x", "max_tokens": 99999999999})", "max_tokens"},
           {R"({"prompt": "x", "max_tokens": "ten"})", "max_tokens"},
           {"{\"prompt\": \"\xff\"}", "not a JSON object"},
       }) {
    auto request = ParseRequestLine(bad.line, "");
    ASSERT_FALSE(request.ok()) << bad.line;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(request.status().message(), HasSubstr(bad.says)) << bad.line;
  }
}

}  // namespace
}  // namespace cascade::tools
