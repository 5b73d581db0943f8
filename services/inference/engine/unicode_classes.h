// The Unicode character classes that byte-level BPE pre-tokenizers split on: \p{L}, \p{N} and
// \s, as llama.cpp and Hugging Face tokenizers define them (general categories L* and N*; the
// White_Space property), and code point decoding of text already checked to be UTF-8.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/strings/string_view.h"

namespace cascade::engine {

bool IsLetter(char32_t code_point);
bool IsNumber(char32_t code_point);
bool IsWhitespace(char32_t code_point);

// One code point of a text and where its bytes start.
struct CodePoint {
  char32_t value;
  size_t offset;
};

// The code points of valid UTF-8 `text` (check with IsValidUtf8 first).
std::vector<CodePoint> DecodeCodePoints(absl::string_view text);

// The UTF-8 bytes of one code point, appended to `out`.
void AppendUtf8(char32_t code_point, std::string& out);

}  // namespace cascade::engine
