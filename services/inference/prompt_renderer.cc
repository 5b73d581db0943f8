#include "services/inference/prompt_renderer.h"

#include "absl/status/status.h"

namespace cascade::inference {

absl::StatusOr<std::string> RenderPlainPrompt(const cascade::v1::Messages& messages) {
  std::string prompt;
  for (const auto& message : messages.messages()) {
    if (!prompt.empty()) prompt += "\n";
    prompt += message.content();
  }
  if (prompt.empty()) return absl::InvalidArgumentError("every message is empty");
  return prompt;
}

}  // namespace cascade::inference
