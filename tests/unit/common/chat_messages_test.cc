// The chat-message check every service runs at its boundary.

#include "common/validation/chat_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade {
namespace {

using ::testing::HasSubstr;

google::protobuf::RepeatedPtrField<v1::ChatMessage> Messages(
    std::initializer_list<std::pair<std::string, std::string>> roles_and_contents) {
  google::protobuf::RepeatedPtrField<v1::ChatMessage> messages;
  for (const auto& [role, content] : roles_and_contents) {
    v1::ChatMessage* message = messages.Add();
    message->set_role(role);
    message->set_content(content);
  }
  return messages;
}

TEST(ChatMessages, AcceptsTheKnownRolesWithUtf8Content) {
  EXPECT_TRUE(ValidateChatMessages(
                  Messages({{"system", "be brief"}, {"user", "caf\xC3\xA9?"}, {"assistant", ""}}))
                  .ok());
}

TEST(ChatMessages, NamesTheMessageAndWhatToFix) {
  absl::Status none = ValidateChatMessages(Messages({}));
  EXPECT_EQ(none.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.message(), HasSubstr("at least one message"));

  absl::Status role = ValidateChatMessages(Messages({{"user", "hi"}, {"tool", "42"}}));
  EXPECT_EQ(role.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(role.message(), HasSubstr("messages[1].role 'tool' must be"));

  absl::Status utf8 = ValidateChatMessages(Messages({{"user", "\xFF"}}));
  EXPECT_EQ(utf8.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(utf8.message(), HasSubstr("messages[0].content is not valid UTF-8"));
}

}  // namespace
}  // namespace cascade
