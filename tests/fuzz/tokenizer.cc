// Fuzzes the SentencePiece tokenizer (services/inference/engine/tokenizer) with the bundled
// bard vocabulary (models/bard-draft-0.5m.gguf): any valid UTF-8 text encodes to ids in
// the vocabulary that decode back to the same text (unless it holds U+2581, see below);
// invalid UTF-8 is refused; any ids decode to valid UTF-8.
#include "services/inference/engine/tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/text/utf8.h"
#include "services/inference/engine/gguf.h"

namespace engine = cascade::engine;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const engine::Tokenizer* tokenizer = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* path = std::getenv("CASCADE_FUZZ_GGUF");
  if (path == nullptr) path = CASCADE_SOURCE_DIR "/models/bard-draft-0.5m.gguf";
  auto file = engine::GgufFile::Open(path);
  auto loaded = file.ok() ? engine::Tokenizer::FromGguf(**file) : file.status();
  if (!loaded.ok()) {
    std::fprintf(stderr, "tokenizer fuzzer: %s\n", loaded.status().ToString().c_str());
    std::exit(1);
  }
  tokenizer = new engine::Tokenizer(*std::move(loaded));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto ids = tokenizer->Encode(text, /*add_bos=*/false);
  Check(ids.ok() == cascade::IsValidUtf8(text));
  if (ids.ok()) {
    for (int id : *ids) Check(id >= 0 && id < tokenizer->vocab_size());
    // Text holding U+2581 itself cannot round-trip: SentencePiece writes spaces as U+2581
    // and decodes every U+2581 as a space (llama.cpp and SentencePiece do the same).
    if (text.find("\xE2\x96\x81") == std::string::npos) {
      const std::string decoded = tokenizer->Decode(*ids);
      if (decoded != text) {
        std::fprintf(stderr, "round trip changed the text:\n  in:  '%s'\n  out: '%s'\n",
                     text.c_str(), decoded.c_str());
        std::abort();
      }
    }
    auto with_bos = tokenizer->Encode(text, /*add_bos=*/true);
    Check(with_bos.ok() && !with_bos->empty() && with_bos->front() == tokenizer->bos_id());
  }
  // The bytes as ids, in range or not: whatever they are, the text is valid UTF-8.
  std::vector<int> raw(size / 2);
  for (size_t i = 0; i < raw.size(); ++i) {
    raw[i] = static_cast<int16_t>(data[2 * i] | (data[2 * i + 1] << 8));
  }
  Check(cascade::IsValidUtf8(tokenizer->Decode(raw)));
  return 0;
}
