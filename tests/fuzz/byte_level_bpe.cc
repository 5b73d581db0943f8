// Fuzzes byte-level BPE (services/inference/engine/byte_level_bpe, pre_tokenizer) through the
// Tokenizer: the first input byte picks the pre-tokenizer, the rest is the text. Valid UTF-8
// encodes to ids in the vocabulary that decode back to exactly the text (byte-level BPE
// loses nothing), with special tokens parsed or not; the pre-tokenizer's words cover the
// text; invalid UTF-8 is refused.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/text/utf8.h"
#include "services/inference/engine/tokenizer.h"

namespace engine = cascade::engine;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// The 256 byte characters, merges that build a few English and multi-byte words, a control
// token and a user-defined one.
engine::TokenizerVocab Vocab(engine::PreTokenizer pre) {
  engine::TokenizerVocab vocab;
  vocab.model = engine::TokenizerModel::kByteLevelBpe;
  vocab.pre = pre;
  vocab.unknown_id = -1;
  vocab.add_space_prefix = false;
  for (int byte = 0; byte < 256; ++byte) {
    vocab.tokens.push_back(
        engine::ByteLevelBpe::BytesToSpelling(std::string(1, static_cast<char>(byte))));
  }
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "Ġ"}, {"ĠĠ", "ĠĠ"},
      {"e", "r"}, {"Ġ", "a"}, {"Ġa", "n"},  {"Ã", "©"}, {"Ċ", "Ċ"}, {"1", "2"}};
  for (const auto& [left, right] : merges) {
    vocab.merges.push_back(left + " " + right);
    vocab.tokens.push_back(left + right);
  }
  vocab.kinds.assign(vocab.tokens.size(), engine::TokenKind::kNormal);
  vocab.tokens.push_back("<|im_end|>");
  vocab.kinds.push_back(engine::TokenKind::kControl);
  vocab.tokens.push_back("<tool>");
  vocab.kinds.push_back(engine::TokenKind::kUserDefined);
  vocab.bos_id = vocab.eos_id = static_cast<int>(vocab.tokens.size()) - 2;
  return vocab;
}

const engine::Tokenizer& TokenizerFor(engine::PreTokenizer pre) {
  static const auto* tokenizers = new std::vector<engine::Tokenizer>{
      *engine::Tokenizer::FromVocab(Vocab(engine::PreTokenizer::kGpt2)),
      *engine::Tokenizer::FromVocab(Vocab(engine::PreTokenizer::kLlama3)),
      *engine::Tokenizer::FromVocab(Vocab(engine::PreTokenizer::kQwen2)),
  };
  return (*tokenizers)[static_cast<int>(pre)];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  const auto pre = static_cast<engine::PreTokenizer>(provider.ConsumeIntegralInRange(0, 2));
  const std::string text = provider.ConsumeRemainingBytesAsString();
  const engine::Tokenizer& tokenizer = TokenizerFor(pre);

  auto ids = tokenizer.Encode(text, /*add_bos=*/false);
  Check(ids.ok() == cascade::IsValidUtf8(text));
  if (!ids.ok()) return 0;
  for (int id : *ids) Check(id >= 0 && id < tokenizer.vocab_size());
  Check(tokenizer.Decode(*ids) == text);

  auto special = tokenizer.Encode(text, /*add_bos=*/true, /*parse_special=*/true);
  Check(special.ok() && !special->empty() && special->front() == tokenizer.bos_id());
  for (int id : *special) Check(id >= 0 && id < tokenizer.vocab_size());

  size_t covered = 0;
  for (absl::string_view word : engine::SplitWords(text, pre)) {
    Check(!word.empty() && word.data() == text.data() + covered);
    covered += word.size();
  }
  Check(covered == text.size());
  return 0;
}
