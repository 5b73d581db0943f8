// Fuzzes the chat template renderer (services/inference/engine/chat_template) and the
// tokenizer's markup-only special tokens: any family, any conversation of any roles and
// contents. The markup ranges are sorted, disjoint and inside the text; the rendered chat
// encodes (for valid UTF-8) to ids in the vocabulary; and its control tokens come from the
// template's markup alone: decoding gives the text with exactly the markup's copies of the
// control tokens' texts removed, whatever the contents say. Recognize takes any source.
#include "services/inference/engine/chat_template.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "common/text/utf8.h"
#include "services/inference/engine/byte_level_bpe.h"
#include "services/inference/engine/tokenizer.h"

namespace engine = cascade::engine;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr const char* kControl[] = {"<|im_start|>", "<|im_end|>", "<|eot_id|>"};

// Byte-level BPE over the 256 byte characters with three control tokens of the templates.
const engine::Tokenizer& Tokenizer() {
  static const engine::Tokenizer* tokenizer = [] {
    engine::TokenizerVocab vocab;
    vocab.model = engine::TokenizerModel::kByteLevelBpe;
    vocab.unknown_id = -1;
    vocab.add_space_prefix = false;
    vocab.add_bos = false;
    for (int byte = 0; byte < 256; ++byte) {
      vocab.tokens.push_back(
          engine::ByteLevelBpe::BytesToSpelling(std::string(1, static_cast<char>(byte))));
      vocab.kinds.push_back(engine::TokenKind::kNormal);
    }
    for (const char* control : kControl) {
      vocab.tokens.push_back(control);
      vocab.kinds.push_back(engine::TokenKind::kControl);
    }
    vocab.bos_id = vocab.eos_id = 257;
    return new engine::Tokenizer(*engine::Tokenizer::FromVocab(vocab));
  }();
  return *tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  constexpr const char* kFamilies[] = {"plain",   "llama3", "chatml", "llama2",
                                       "mistral", "gemma",  "phi3"};
  const auto chat_template =
      engine::ChatTemplate::FromName(kFamilies[provider.ConsumeIntegralInRange(0, 6)]);
  Check(chat_template.ok());
  constexpr const char* kRoles[] = {"system", "user", "assistant"};
  std::vector<engine::ChatMessage> messages(provider.ConsumeIntegralInRange(0, 6));
  for (auto& message : messages) {
    message.role = kRoles[provider.ConsumeIntegralInRange(0, 2)];
    message.content = provider.ConsumeRandomLengthString(64);
  }
  const bool generation_prompt = provider.ConsumeBool();
  (void)engine::ChatTemplate::Recognize(provider.ConsumeRemainingBytesAsString());

  const engine::RenderedChat rendered = chat_template->Render(messages, generation_prompt);
  size_t last_end = 0;
  for (const auto& [begin, end] : rendered.markup) {
    Check(begin >= last_end && begin < end && end <= rendered.text.size());
    last_end = end;
  }
  auto ids = Tokenizer().EncodeWithMarkup(rendered.text, rendered.markup);
  Check(ids.ok() == cascade::IsValidUtf8(rendered.text));
  if (!ids.ok()) return 0;
  for (int id : *ids) Check(id >= 0 && id < Tokenizer().vocab_size());

  // The text with the markup's control-token texts removed (longest first, left to right,
  // within each range): what decoding must give.
  std::string expected;
  size_t at = 0;
  for (const auto& [begin, end] : rendered.markup) {
    expected += rendered.text.substr(at, begin - at);
    expected += absl::StrReplaceAll(rendered.text.substr(begin, end - begin),
                                    {{kControl[0], ""}, {kControl[1], ""}, {kControl[2], ""}});
    at = end;
  }
  expected += rendered.text.substr(at);
  Check(Tokenizer().Decode(*ids) == expected);
  return 0;
}
