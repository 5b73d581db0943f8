#include "common/validation/chat_messages.h"

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace cascade {

bool IsChatRole(absl::string_view role) {
  return role == "system" || role == "user" || role == "assistant" || role == "tool";
}

absl::Status ValidateChatMessages(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  if (messages.empty()) {
    return absl::InvalidArgumentError("messages: at least one message is required");
  }
  for (int i = 0; i < messages.size(); ++i) {
    const v1::ChatMessage& message = messages.Get(i);
    if (!IsChatRole(message.role())) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "].role '", message.role(),
                                                     "' must be \"system\", \"user\", "
                                                     "\"assistant\" or \"tool\""));
    }
    if (!IsValidUtf8(message.content())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].content is not valid UTF-8"));
    }
    if (message.role() == "tool" && message.tool_call_id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "messages[", i, "].tool_call_id is missing: a tool message answers one tool call"));
    }
    if (message.role() != "tool" && !message.tool_call_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_call_id is only for tool messages"));
    }
    if (!IsValidUtf8(message.tool_call_id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_call_id is not valid UTF-8"));
    }
    if (message.tool_calls_size() > 0 && message.role() != "assistant") {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_calls: only assistant messages call tools"));
    }
    for (int c = 0; c < message.tool_calls_size(); ++c) {
      const v1::ToolCall& call = message.tool_calls(c);
      const std::string field = absl::StrCat("messages[", i, "].tool_calls[", c, "]");
      if (call.id().empty() || call.name().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, " needs an id and a name"));
      }
      if (!IsValidUtf8(call.id()) || !IsValidUtf8(call.name()) || !IsValidUtf8(call.arguments())) {
        return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade
