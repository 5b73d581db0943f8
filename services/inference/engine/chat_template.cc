#include "services/inference/engine/chat_template.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cascade::engine {
namespace {

struct FamilyName {
  ChatTemplateFamily family;
  absl::string_view name;
};
constexpr FamilyName kFamilies[] = {
    {ChatTemplateFamily::kPlain, "plain"},     {ChatTemplateFamily::kLlama3, "llama3"},
    {ChatTemplateFamily::kChatMl, "chatml"},   {ChatTemplateFamily::kLlama2, "llama2"},
    {ChatTemplateFamily::kMistral, "mistral"}, {ChatTemplateFamily::kGemma, "gemma"},
    {ChatTemplateFamily::kPhi3, "phi3"},
};

// Appends to a RenderedChat, remembering which pieces are markup.
class Writer {
 public:
  void Markup(absl::string_view text) {
    if (text.empty()) return;
    const size_t begin = out_.text.size();
    out_.text.append(text.data(), text.size());
    if (!out_.markup.empty() && out_.markup.back().second == begin) {
      out_.markup.back().second = out_.text.size();  // extend the previous range
    } else {
      out_.markup.emplace_back(begin, out_.text.size());
    }
  }
  void Content(absl::string_view text) { out_.text.append(text.data(), text.size()); }
  RenderedChat Take() { return std::move(out_); }

 private:
  RenderedChat out_;
};

// Jinja's `trim` and Python's str.strip(), for ASCII whitespace.
absl::string_view Trim(absl::string_view text) { return absl::StripAsciiWhitespace(text); }

// The system message, if the conversation opens with one, and the rest.
std::pair<const ChatMessage*, std::span<const ChatMessage>> SplitSystem(
    std::span<const ChatMessage> messages) {
  if (!messages.empty() && messages.front().role == "system") {
    return {&messages.front(), messages.subspan(1)};
  }
  return {nullptr, messages};
}

// A literal default system message in a ChatML template: the text of
// '<|im_start|>system\n...<|im_end|>' written out with no expression inside.
std::string DefaultChatMlSystem(absl::string_view source) {
  constexpr absl::string_view kOpen = "<|im_start|>system\\n";
  for (size_t at = source.find(kOpen); at != absl::string_view::npos;
       at = source.find(kOpen, at + 1)) {
    const size_t start = at + kOpen.size();
    const size_t end = source.find("<|im_end|>", start);
    if (end == absl::string_view::npos) break;
    const absl::string_view text = source.substr(start, end - start);
    if (!text.empty() && text.find_first_of("'\"{}+\\") == absl::string_view::npos) {
      return std::string(text);
    }
  }
  return "";
}

}  // namespace

std::optional<ChatTemplate> ChatTemplate::Recognize(absl::string_view source) {
  auto has = [&](absl::string_view marker) { return absl::StrContains(source, marker); };
  if (has("<|start_header_id|>")) return ChatTemplate(ChatTemplateFamily::kLlama3);
  if (has("<|im_start|>")) {
    ChatTemplate chat_ml(ChatTemplateFamily::kChatMl);
    chat_ml.default_system_ = DefaultChatMlSystem(source);
    chat_ml.strip_reasoning_ = has("</think>");
    return chat_ml;
  }
  if (has("<start_of_turn>")) return ChatTemplate(ChatTemplateFamily::kGemma);
  if (has("<|user|>") && has("<|end|>")) return ChatTemplate(ChatTemplateFamily::kPhi3);
  if (has("<<SYS>>")) return ChatTemplate(ChatTemplateFamily::kLlama2);
  if (has("[INST]")) return ChatTemplate(ChatTemplateFamily::kMistral);
  return std::nullopt;
}

absl::StatusOr<ChatTemplate> ChatTemplate::FromName(absl::string_view name) {
  for (const FamilyName& family : kFamilies) {
    if (family.name == name) return ChatTemplate(family.family);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown chat template '", name, "'; known: ", Names()));
}

absl::string_view ChatTemplate::Names() {
  return "plain, llama3, chatml, llama2, mistral, gemma, phi3";
}

absl::string_view ChatTemplate::name() const {
  for (const FamilyName& family : kFamilies) {
    if (family.family == family_) return family.name;
  }
  return "plain";
}

RenderedChat ChatTemplate::Render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                  absl::string_view bos_text, absl::string_view eos_text) const {
  Writer out;
  switch (family_) {
    case ChatTemplateFamily::kPlain: {
      bool first = true;
      for (const ChatMessage& message : messages) {
        if (!first) out.Content("\n");
        out.Content(message.content);
        first = false;
      }
      break;
    }
    case ChatTemplateFamily::kLlama3:
      for (const ChatMessage& message : messages) {
        out.Markup(absl::StrCat("<|start_header_id|>", message.role, "<|end_header_id|>\n\n"));
        out.Content(Trim(message.content));
        out.Markup("<|eot_id|>");
      }
      if (add_generation_prompt) out.Markup("<|start_header_id|>assistant<|end_header_id|>\n\n");
      break;
    case ChatTemplateFamily::kChatMl: {
      if (!default_system_.empty() && (messages.empty() || messages.front().role != "system")) {
        out.Markup(absl::StrCat("<|im_start|>system\n", default_system_, "<|im_end|>\n"));
      }
      for (const ChatMessage& message : messages) {
        out.Markup(absl::StrCat("<|im_start|>", message.role, "\n"));
        absl::string_view content = message.content;
        // Qwen 3 keeps only the answer of an earlier assistant turn, not its reasoning.
        if (strip_reasoning_ && message.role == "assistant") {
          if (const size_t end = content.rfind("</think>"); end != absl::string_view::npos) {
            content = content.substr(end + 8);
            while (!content.empty() && content.front() == '\n') content.remove_prefix(1);
          }
        }
        out.Content(content);
        out.Markup("<|im_end|>\n");
      }
      if (add_generation_prompt) out.Markup("<|im_start|>assistant\n");
      break;
    }
    case ChatTemplateFamily::kLlama2: {
      auto [system, turns] = SplitSystem(messages);
      bool first = true;
      for (const ChatMessage& message : turns) {
        if (message.role == "user") {
          // Each user turn opens with BOS; the tokenizer adds the first one.
          if (!first) out.Markup(bos_text);
          out.Markup("[INST] ");
          if (first && system != nullptr) {
            out.Markup("<<SYS>>\n");
            out.Content(system->content);
            out.Markup("\n<</SYS>>\n\n");
            out.Content(Trim(message.content));
          } else {
            out.Content(Trim(message.content));
          }
          out.Markup(" [/INST]");
        } else {
          out.Markup(" ");
          out.Content(Trim(message.content));
          out.Markup(absl::StrCat(" ", eos_text));
        }
        first = false;
      }
      break;
    }
    case ChatTemplateFamily::kMistral: {
      auto [system, turns] = SplitSystem(messages);
      bool first = true;
      for (const ChatMessage& message : turns) {
        if (message.role == "user") {
          out.Markup("[INST] ");
          if (first && system != nullptr) out.Content(absl::StrCat(system->content, "\n\n"));
          out.Content(message.content);
          out.Markup(" [/INST]");
        } else {
          out.Content(message.content);
          out.Markup(eos_text);
        }
        first = false;
      }
      break;
    }
    case ChatTemplateFamily::kGemma: {
      auto [system, turns] = SplitSystem(messages);
      for (const ChatMessage& message : turns) {
        const bool model = message.role == "assistant";
        out.Markup(absl::StrCat("<start_of_turn>", model ? "model" : message.role, "\n"));
        // Gemma has no system role: the system message opens the first user turn.
        if (system != nullptr && !model) {
          out.Content(absl::StrCat(Trim(system->content), "\n\n"));
          system = nullptr;
        }
        out.Content(Trim(message.content));
        out.Markup("<end_of_turn>\n");
      }
      if (add_generation_prompt) out.Markup("<start_of_turn>model\n");
      break;
    }
    case ChatTemplateFamily::kPhi3:
      for (const ChatMessage& message : messages) {
        out.Markup(absl::StrCat("<|", message.role, "|>\n"));
        out.Content(message.content);
        out.Markup("<|end|>\n");
      }
      if (add_generation_prompt) out.Markup("<|assistant|>\n");
      break;
  }
  return out.Take();
}

}  // namespace cascade::engine
