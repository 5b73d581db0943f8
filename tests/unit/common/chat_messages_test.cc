// The chat-message check every service runs at its boundary.

#include "common/validation/chat_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

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

  absl::Status role = ValidateChatMessages(Messages({{"user", "hi"}, {"function", "42"}}));
  EXPECT_EQ(role.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(role.message(), HasSubstr("messages[1].role 'function' must be"));

  absl::Status utf8 = ValidateChatMessages(Messages({{"user", "\xFF"}}));
  EXPECT_EQ(utf8.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(utf8.message(), HasSubstr("messages[0].content is not valid UTF-8"));
}

TEST(ChatMessages, ToolCallsAndToolResultsAreWellFormed) {
  auto messages = Messages({{"user", "weather?"}, {"assistant", ""}, {"tool", "18 C"}});
  v1::ToolCall* call = messages[1].add_tool_calls();
  call->set_id("call_1");
  call->set_name("get_weather");
  call->set_arguments("{\"location\": \"Paris\"}");
  messages[2].set_tool_call_id("call_1");
  EXPECT_TRUE(ValidateChatMessages(messages).ok());

  auto no_id = messages;
  no_id[2].clear_tool_call_id();
  EXPECT_THAT(ValidateChatMessages(no_id).message(),
              HasSubstr("messages[2].tool_call_id is missing"));
  auto id_on_user = messages;
  id_on_user[0].set_tool_call_id("call_1");
  EXPECT_THAT(ValidateChatMessages(id_on_user).message(),
              HasSubstr("messages[0].tool_call_id is only for tool messages"));
  auto user_calls = messages;
  *user_calls[0].add_tool_calls() = *call;
  EXPECT_THAT(ValidateChatMessages(user_calls).message(),
              HasSubstr("only assistant messages call tools"));
  auto nameless = messages;
  nameless[1].mutable_tool_calls(0)->clear_name();
  EXPECT_THAT(ValidateChatMessages(nameless).message(),
              HasSubstr("messages[1].tool_calls[0] needs an id and a name"));
  auto bad_utf8 = messages;
  bad_utf8[1].mutable_tool_calls(0)->set_arguments("\xFF");
  EXPECT_THAT(ValidateChatMessages(bad_utf8).message(), HasSubstr("is not valid UTF-8"));
}

TEST(ChatMessages, ImagePartsAreUserOnlyWellFormedAndCounted) {
  auto messages = Messages({{"user", "what is this?"}});
  messages[0].add_parts()->set_text("what is this?");
  v1::ContentPart* image = messages[0].add_parts();
  image->set_image_url("https://example.com/a.png");
  image->set_image_detail("high");
  EXPECT_TRUE(ValidateChatMessages(messages).ok());
  EXPECT_TRUE(HasImages(messages));
  EXPECT_FALSE(HasImages(Messages({{"user", "no picture"}})));
  auto data_url = messages;
  data_url[0].mutable_parts(1)->set_image_url("data:image/png;base64,iVBORw0KGgo=");
  EXPECT_TRUE(ValidateChatMessages(data_url).ok());

  const auto rejected = [&](const std::function<void(v1::ChatMessage&)>& change) {
    auto changed = messages;
    change(changed[0]);
    return std::string(ValidateChatMessages(changed).message());
  };
  EXPECT_THAT(rejected([](v1::ChatMessage& m) { m.set_role("assistant"); }),
              HasSubstr("messages[0].parts: only user messages carry images"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) { m.mutable_parts(1)->set_text("and text"); }),
              HasSubstr("messages[0].parts[1] is text or an image, not both"));
  EXPECT_THAT(
      rejected([](v1::ChatMessage& m) { m.mutable_parts(1)->set_image_url("file:///etc/x"); }),
      HasSubstr("messages[0].parts[1].image_url must be an https:// or http:// URL"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) {
                m.mutable_parts(1)->set_image_url("data:text/plain;base64,aGk=");
              }),
              HasSubstr("must be a data:image/<type>;base64,<data> URL"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) {
                m.mutable_parts(1)->set_image_url("https://example.com/a b.png");
              }),
              HasSubstr("holds a space"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) {
                m.mutable_parts(1)->set_image_url("https://x/" + std::string(9000, 'a'));
              }),
              HasSubstr("longer than 8192 bytes"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) { m.mutable_parts(1)->set_image_detail("max"); }),
              HasSubstr("image_detail must be \"auto\", \"low\" or \"high\""));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) { m.mutable_parts(0)->set_image_detail("low"); }),
              HasSubstr("image_detail is only for an image part"));
  EXPECT_THAT(rejected([](v1::ChatMessage& m) {
                for (int i = 0; i < kMaxImagesPerRequest; ++i) {
                  m.add_parts()->set_image_url("https://example.com/b.png");
                }
              }),
              HasSubstr("more than 64 images"));
}

}  // namespace
}  // namespace cascade
