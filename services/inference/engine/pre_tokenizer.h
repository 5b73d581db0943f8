// The pre-tokenizers of byte-level BPE vocabularies: the text is cut into words before BPE
// merges, so that no token spans a word boundary. Each kind is a regular expression in the
// model's tokenizer.json; this file spells each one out as a scanner over code points, one
// alternative at a time, in the regex's order (RE2 has no lookahead, which `\s+(?!\S)` needs).
#pragma once

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace cascade::engine {

enum class PreTokenizer {
  // GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  //          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kLlama3,
  // Qwen 2 / 2.5 / 3: Llama 3's, with one digit per word (\p{N}).
  kQwen2,
};

// The kind a GGUF file's `tokenizer.ggml.pre` names, or nullopt when it is not supported.
std::optional<PreTokenizer> PreTokenizerFromGguf(absl::string_view name);
// The GGUF name this engine writes for `kind`.
absl::string_view PreTokenizerGgufName(PreTokenizer kind);
// What PreTokenizerFromGguf accepts, for error messages.
absl::string_view SupportedPreTokenizers();

// Cuts valid UTF-8 `text` into words (views into `text`, in order, covering all of it).
std::vector<absl::string_view> SplitWords(absl::string_view text, PreTokenizer kind);

}  // namespace cascade::engine
