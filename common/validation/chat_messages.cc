#include "common/validation/chat_messages.h"

#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace cascade {

bool IsChatRole(absl::string_view role) {
  return role == "system" || role == "user" || role == "assistant";
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
                                                     "' must be \"system\", \"user\" or "
                                                     "\"assistant\""));
    }
    if (!IsValidUtf8(message.content())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].content is not valid UTF-8"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade
