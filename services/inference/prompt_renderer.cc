#include "services/inference/prompt_renderer.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::inference {

absl::StatusOr<std::string> RenderPlainPrompt(const cascade::v1::Messages& messages) {
  if (messages.messages().empty()) {
    return absl::InvalidArgumentError("messages is empty; send at least one message");
  }
  std::string prompt;
  for (int i = 0; i < messages.messages_size(); ++i) {
    const auto& message = messages.messages(i);
    if (message.role() != "system" && message.role() != "user" && message.role() != "assistant") {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "].role '", message.role(),
                                                     "' is not system, user or assistant"));
    }
    if (!prompt.empty()) prompt += "\n";
    prompt += message.content();
  }
  if (prompt.empty()) return absl::InvalidArgumentError("every message is empty");
  return prompt;
}

}  // namespace cascade::inference
