#include "services/cache/lib/query_tokens.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cascade::cache {
namespace {

enum class CharKind { kWordChar, kDigit, kApostrophe, kCurrency, kSeparator, kSentenceEnd };

struct Char {
  CharKind kind;
  size_t length;  // Bytes.
};

// Length of the UTF-8 sequence a lead byte starts; 1 for stray continuation bytes, so that
// invalid input still advances.
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

Char Classify(absl::string_view text, size_t at) {
  const unsigned char c = static_cast<unsigned char>(text[at]);
  if (c < 0x80) {
    if (absl::ascii_isdigit(c)) return {CharKind::kDigit, 1};
    if (absl::ascii_isalpha(c)) return {CharKind::kWordChar, 1};
    if (c == '\'') return {CharKind::kApostrophe, 1};
    if (c == '$') return {CharKind::kCurrency, 1};
    if (c == '.' || c == '!' || c == '?' || c == '\n') return {CharKind::kSentenceEnd, 1};
    return {CharKind::kSeparator, 1};
  }
  const size_t length = std::min(SequenceLength(c), text.size() - at);
  const absl::string_view sequence = text.substr(at, length);
  if (sequence == "\u2019") return {CharKind::kApostrophe, length};
  if (sequence == "\u20AC" || sequence == "\u00A3" || sequence == "\u00A5") {
    return {CharKind::kCurrency, length};
  }
  // U+0080..U+00BF: C2 80..C2 BF. U+2000..U+206F: E2 80 xx and E2 81 xx.
  if (length == 2 && c == 0xC2) return {CharKind::kSeparator, length};
  if (length == 3 && c == 0xE2 && (static_cast<unsigned char>(sequence[1]) & 0xFE) == 0x80) {
    return {CharKind::kSeparator, length};
  }
  return {CharKind::kWordChar, length};
}

bool IsDigitAt(absl::string_view text, size_t at) {
  return at < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[at]));
}

// A ',' at `at` followed by exactly three digits, then no further digit.
bool IsThousandsComma(absl::string_view text, size_t at) {
  return text[at] == ',' && IsDigitAt(text, at + 1) && IsDigitAt(text, at + 2) &&
         IsDigitAt(text, at + 3) && !IsDigitAt(text, at + 4);
}

// Drops thousands commas, leading zeros of the whole part and trailing zeros of a fraction.
std::string CanonicalNumber(absl::string_view written) {
  std::string number;
  for (char c : written) {
    if (c != ',') number.push_back(c);
  }
  const size_t point = number.find('.');
  if (point != std::string::npos) {
    while (number.back() == '0') number.pop_back();
    if (number.back() == '.') number.pop_back();
  }
  size_t leading = 0;
  while (leading + 1 < number.size() && number[leading] == '0' &&
         absl::ascii_isdigit(static_cast<unsigned char>(number[leading + 1]))) {
    ++leading;
  }
  return number.substr(leading);
}

std::string WordKey(absl::string_view word) {
  std::string key = absl::AsciiStrToLower(word);
  if (absl::EndsWith(key, "'s") && key.size() > 2) key.resize(key.size() - 2);
  return key;
}

}  // namespace

std::vector<QueryToken> TokenizeQuery(absl::string_view text) {
  std::vector<QueryToken> tokens;
  bool sentence_start = true;
  auto emit = [&](QueryToken token) {
    token.sentence_start = sentence_start;
    sentence_start = false;
    tokens.push_back(std::move(token));
  };
  size_t at = 0;
  while (at < text.size()) {
    const Char first = Classify(text, at);
    if (first.kind == CharKind::kSentenceEnd) {
      sentence_start = true;
      at += first.length;
    } else if (first.kind == CharKind::kSeparator || first.kind == CharKind::kApostrophe) {
      at += first.length;  // A leading apostrophe is a quote mark.
    } else if (first.kind == CharKind::kCurrency) {
      const std::string sign(text.substr(at, first.length));
      emit({sign, sign, /*is_number=*/false, /*is_currency_sign=*/true});
      at += first.length;
    } else if (first.kind == CharKind::kDigit) {
      const size_t begin = at;
      while (at < text.size()) {
        if (IsDigitAt(text, at)) {
          ++at;
        } else if ((text[at] == '.' || text[at] == ':') && IsDigitAt(text, at + 1)) {
          ++at;
        } else if (IsThousandsComma(text, at)) {
          at += 4;
        } else {
          break;
        }
      }
      const absl::string_view written = text.substr(begin, at - begin);
      emit({std::string(written), CanonicalNumber(written), /*is_number=*/true});
    } else {
      // A word: letters, digits, other characters and inner apostrophes.
      std::string word;
      while (at < text.size()) {
        const Char next = Classify(text, at);
        if (next.kind == CharKind::kWordChar || next.kind == CharKind::kDigit) {
          absl::StrAppend(&word, text.substr(at, next.length));
        } else if (next.kind == CharKind::kApostrophe) {
          word.push_back('\'');
        } else {
          break;
        }
        at += next.length;
      }
      while (!word.empty() && word.back() == '\'') word.pop_back();
      const std::string key = WordKey(word);
      emit({std::move(word), key});
    }
  }
  return tokens;
}

}  // namespace cascade::cache
