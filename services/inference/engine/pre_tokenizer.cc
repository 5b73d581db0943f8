#include "services/inference/engine/pre_tokenizer.h"

#include "services/inference/engine/unicode_classes.h"

namespace cascade::engine {
namespace {

char32_t AsciiLower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
bool IsNewline(char32_t c) { return c == '\r' || c == '\n'; }
bool IsOther(char32_t c) { return !IsWhitespace(c) && !IsLetter(c) && !IsNumber(c); }

// One scan over the code points of a text; each method tries one alternative of the regex
// at `i` and returns the end of its match, or `i` when it does not match.
class Scanner {
 public:
  explicit Scanner(absl::string_view text)
      : cps_(DecodeCodePoints(text)), text_size_(text.size()) {}

  size_t size() const { return cps_.size(); }
  char32_t at(size_t i) const { return cps_[i].value; }
  // The byte offset of code point i; the text's size for i == size().
  size_t offset(size_t i) const { return i < cps_.size() ? cps_[i].offset : text_size_; }

  // 's 't 're 've 'm 'll 'd; case-insensitive for Llama 3 and Qwen.
  size_t Contraction(size_t i, bool any_case) const {
    if (at(i) != '\'' || i + 1 >= size()) return i;
    auto letter = [&](size_t k) { return any_case ? AsciiLower(at(k)) : at(k); };
    const char32_t a = letter(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 >= size()) return i;
    const char32_t b = letter(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    return i;
  }

  // A run of code points that satisfy `inside`, starting at i, at most `limit` long.
  template <typename Predicate>
  size_t Run(size_t i, Predicate inside, size_t limit = SIZE_MAX) const {
    size_t j = i;
    while (j < size() && j - i < limit && inside(at(j))) ++j;
    return j;
  }

  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t PrefixedLetters(size_t i) const {
    if (IsLetter(at(i))) return Run(i, IsLetter);
    if (IsNewline(at(i)) || IsNumber(at(i))) return i;
    if (i + 1 < size() && IsLetter(at(i + 1))) return Run(i + 1, IsLetter);
    return i;
  }

  // ` ?X+` for a class X.
  template <typename Predicate>
  size_t SpacedRun(size_t i, Predicate inside) const {
    const size_t start = at(i) == ' ' && i + 1 < size() ? i + 1 : i;
    const size_t end = Run(start, inside);
    return end == start ? i : end;
  }

  // \s*[\r\n]+: the whitespace run up to its last newline.
  size_t WhitespaceToNewline(size_t i) const {
    const size_t end = Run(i, IsWhitespace);
    for (size_t j = end; j > i; --j) {
      if (IsNewline(at(j - 1))) return j;
    }
    return i;
  }

  // \s+(?!\S), then \s+: a whitespace run leaves its last space to the word after it.
  size_t Whitespace(size_t i) const {
    const size_t end = Run(i, IsWhitespace);
    if (end == i) return i;
    if (end == size() || end - i == 1) return end;
    return end - 1;
  }

 private:
  std::vector<CodePoint> cps_;
  size_t text_size_;
};

size_t NextGpt2(const Scanner& s, size_t i) {
  size_t end = s.Contraction(i, /*any_case=*/false);
  if (end == i) end = s.SpacedRun(i, IsLetter);
  if (end == i) end = s.SpacedRun(i, IsNumber);
  if (end == i) end = s.SpacedRun(i, IsOther);
  if (end == i) end = s.Whitespace(i);
  return end;
}

size_t NextLlama3(const Scanner& s, size_t i, size_t digits_per_word) {
  size_t end = s.Contraction(i, /*any_case=*/true);
  if (end == i) end = s.PrefixedLetters(i);
  if (end == i) end = s.Run(i, IsNumber, digits_per_word);
  if (end == i) {
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    end = s.SpacedRun(i, IsOther);
    if (end != i) end = s.Run(end, IsNewline);
  }
  if (end == i) end = s.WhitespaceToNewline(i);
  if (end == i) end = s.Whitespace(i);
  return end;
}

}  // namespace

std::optional<PreTokenizer> PreTokenizerFromGguf(absl::string_view name) {
  if (name == "gpt2" || name == "gpt-2") return PreTokenizer::kGpt2;
  if (name == "llama-bpe" || name == "llama3" || name == "llama-v3") return PreTokenizer::kLlama3;
  if (name == "qwen2") return PreTokenizer::kQwen2;
  return std::nullopt;
}

absl::string_view PreTokenizerGgufName(PreTokenizer kind) {
  switch (kind) {
    case PreTokenizer::kGpt2:
      return "gpt-2";
    case PreTokenizer::kLlama3:
      return "llama-bpe";
    case PreTokenizer::kQwen2:
      return "qwen2";
  }
  return "";
}

absl::string_view SupportedPreTokenizers() { return "gpt-2 (or gpt2), llama-bpe, qwen2"; }

std::vector<absl::string_view> SplitWords(absl::string_view text, PreTokenizer kind) {
  const Scanner scanner(text);
  std::vector<absl::string_view> words;
  for (size_t i = 0; i < scanner.size();) {
    size_t end = kind == PreTokenizer::kGpt2
                     ? NextGpt2(scanner, i)
                     : NextLlama3(scanner, i, kind == PreTokenizer::kLlama3 ? 3 : 1);
    if (end == i) end = i + 1;  // unreachable: every code point is L, N, \s or other
    words.push_back(text.substr(scanner.offset(i), scanner.offset(end) - scanner.offset(i)));
    i = end;
  }
  return words;
}

}  // namespace cascade::engine
