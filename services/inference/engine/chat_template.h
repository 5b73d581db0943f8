// Chat templates: how a chat model wants its conversation written. A GGUF file carries its
// template as Jinja source (`tokenizer.chat_template`); rather than run Jinja, we recognise
// the common families by their markup and render them natively:
//
//   llama3   <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>      (Llama 3.x)
//   chatml   <|im_start|>ROLE\nCONTENT<|im_end|>\n                              (Qwen, ...)
//   llama2   [INST] <<SYS>>\nSYSTEM\n<</SYS>>\n\nUSER [/INST] ANSWER </s><s>
//   mistral  [INST] USER [/INST]ANSWER</s>
//   gemma    <start_of_turn>user\nCONTENT<end_of_turn>\n   (the assistant's role is "model")
//   phi3     <|ROLE|>\nCONTENT<|end|>\n
//   plain    the contents joined by newlines, roles ignored: for a file without a template or
//            with one we do not recognise (said in a log line and in ListModels)
//
// Rendering keeps track of which bytes are the template's markup: only there do special
// tokens' texts become special tokens, so a user who types "<|im_end|>" gets that text, not
// the end of their turn.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade::engine {

enum class ChatTemplateFamily { kPlain, kLlama3, kChatMl, kLlama2, kMistral, kGemma, kPhi3 };

struct ChatMessage {
  std::string role;  // system, user or assistant
  std::string content;
};

// A rendered conversation: the text, and the byte ranges [begin, end) that are markup.
struct RenderedChat {
  std::string text;
  std::vector<std::pair<size_t, size_t>> markup;
};

class ChatTemplate {
 public:
  // The family of a file's Jinja source; nullopt when it is none we know. An empty source
  // (no template in the file) is nullopt too.
  static std::optional<ChatTemplate> Recognize(absl::string_view jinja_source);
  // A family by its name above (for a config that names the template); InvalidArgument
  // listing the names otherwise.
  static absl::StatusOr<ChatTemplate> FromName(absl::string_view name);
  static ChatTemplate Plain() { return ChatTemplate(ChatTemplateFamily::kPlain); }
  // The names FromName accepts, for messages.
  static absl::string_view Names();

  // The conversation, ending with the assistant's turn opened when `add_generation_prompt`.
  // `bos_text`: the beginning-of-sequence token's text, for families that repeat it inside
  // the conversation (llama2); the tokenizer adds the first one itself.
  RenderedChat Render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                      absl::string_view bos_text = "<s>",
                      absl::string_view eos_text = "</s>") const;

  ChatTemplateFamily family() const { return family_; }
  absl::string_view name() const;
  // chatml only: the system message the file's template uses when the conversation has none
  // (Qwen 2.5's "You are Qwen, created by Alibaba Cloud. ..."); empty when it uses none.
  const std::string& default_system() const { return default_system_; }

 private:
  explicit ChatTemplate(ChatTemplateFamily family) : family_(family) {}

  ChatTemplateFamily family_;
  std::string default_system_;
  bool strip_reasoning_ = false;  // chatml: drop "<think>...</think>" from earlier answers
};

}  // namespace cascade::engine
