#include "services/inference/prompt_renderer.h"

#include "absl/status/status.h"

namespace cascade::inference {

absl::StatusOr<std::vector<int>> RenderChatPrompt(const cascade::v1::Messages& messages,
                                                  const engine::ChatTemplate& chat_template,
                                                  const engine::Tokenizer& tokenizer) {
  std::vector<engine::ChatMessage> chat;
  bool any_content = false;
  for (const auto& message : messages.messages()) {
    chat.push_back({message.role(), message.content()});
    any_content = any_content || !message.content().empty();
  }
  if (!any_content) return absl::InvalidArgumentError("every message is empty");
  const engine::RenderedChat rendered = chat_template.Render(
      chat, /*add_generation_prompt=*/true, tokenizer.token_text(tokenizer.bos_id()),
      tokenizer.token_text(tokenizer.eos_id()));
  return tokenizer.EncodeWithMarkup(rendered.text, rendered.markup, /*add_bos=*/true);
}

}  // namespace cascade::inference
