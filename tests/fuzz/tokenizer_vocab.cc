// Fuzzes building the tokenizer (services/inference/engine/tokenizer) from a fuzzed
// vocabulary: tokens, scores, token kinds and special ids as GGUF metadata could give them.
// A vocabulary is accepted or refused; an accepted one encodes text to ids inside it and
// decodes any ids to valid UTF-8.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  engine::TokenizerVocab vocab;
  const int n = provider.ConsumeIntegralInRange(0, 48);
  const bool scores = provider.ConsumeBool();
  const bool kinds = provider.ConsumeBool();
  for (int i = 0; i < n; ++i) {
    vocab.tokens.push_back(provider.ConsumeRandomLengthString(12));
    if (scores) vocab.scores.push_back(provider.ConsumeFloatingPoint<float>());
    if (kinds)
      vocab.kinds.push_back(static_cast<engine::TokenKind>(provider.ConsumeIntegral<int8_t>()));
  }
  vocab.unknown_id = provider.ConsumeIntegralInRange(-1, n);
  vocab.bos_id = provider.ConsumeIntegralInRange(-1, n);
  vocab.eos_id = provider.ConsumeIntegralInRange(-1, n);
  vocab.add_bos = provider.ConsumeBool();
  vocab.add_space_prefix = provider.ConsumeBool();
  const std::string text = provider.ConsumeRandomLengthString(256);

  auto tokenizer = engine::Tokenizer::FromVocab(std::move(vocab));
  if (!tokenizer.ok()) return 0;
  auto ids = tokenizer->Encode(text);
  Check(ids.ok() == cascade::IsValidUtf8(text));
  if (ids.ok()) {
    for (int id : *ids) Check(id >= 0 && id < tokenizer->vocab_size());
    Check(cascade::IsValidUtf8(tokenizer->Decode(*ids)));
  }
  std::vector<int> raw;
  while (provider.remaining_bytes() > 0) raw.push_back(provider.ConsumeIntegral<int8_t>());
  Check(cascade::IsValidUtf8(tokenizer->Decode(raw)));
  return 0;
}
