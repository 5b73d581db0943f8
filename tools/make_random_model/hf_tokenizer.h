// Reads a Hugging Face tokenizer (tokenizer.json, and tokenizer_config.json for the special
// tokens and the chat template) into the vocabulary a GGUF file carries, as llama.cpp's
// converter does: tokens by id (gaps filled with unused [PADn] tokens), added tokens as
// control (special) or user-defined, merges as "left right", the pre-tokenizer recognised
// from its regular expression.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::engine {

struct HfTokenizer {
  TokenizerVocab vocab;
  std::string chat_template;  // empty when the config has none
};

struct HfTokenizerOptions {
  std::string tokenizer_json = {};
  std::string tokenizer_config_json = {};  // optional
  std::optional<PreTokenizer> pre = {};    // overrides the recognised one
};

// InvalidArgument naming the file and the field for anything this cannot represent (not a
// byte-level BPE model, an unrecognised pre-tokenizer without `pre`, a special token that
// is not in the vocabulary, a field of the wrong JSON type).
absl::StatusOr<HfTokenizer> ReadHfTokenizer(const HfTokenizerOptions& options);

}  // namespace cascade::engine
