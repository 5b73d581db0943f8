#include "services/inference/engine/unicode_classes.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace cascade::engine {
namespace {

struct CodePointRange {
  char32_t first, last;
};

#include "services/inference/engine/unicode_classes_data.inc"

template <size_t N>
bool InRanges(const CodePointRange (&ranges)[N], char32_t code_point) {
  auto it = std::upper_bound(
      std::begin(ranges), std::end(ranges), code_point,
      [](char32_t value, const CodePointRange& range) { return value < range.first; });
  return it != std::begin(ranges) && code_point <= std::prev(it)->last;
}

}  // namespace

bool IsLetter(char32_t code_point) {
  if (code_point < 0x80) {
    return (code_point >= 'a' && code_point <= 'z') || (code_point >= 'A' && code_point <= 'Z');
  }
  return InRanges(kLetterRanges, code_point);
}

bool IsNumber(char32_t code_point) {
  if (code_point < 0x80) return code_point >= '0' && code_point <= '9';
  return InRanges(kNumberRanges, code_point);
}

bool IsWhitespace(char32_t code_point) {
  switch (code_point) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return code_point >= 0x2000 && code_point <= 0x200A;
  }
}

std::vector<CodePoint> DecodeCodePoints(absl::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 1;
    char32_t value = lead;
    if (lead >= 0xF0) {
      length = 4;
      value = lead & 0x07;
    } else if (lead >= 0xE0) {
      length = 3;
      value = lead & 0x0F;
    } else if (lead >= 0xC0) {
      length = 2;
      value = lead & 0x1F;
    }
    for (size_t k = 1; k < length && i + k < text.size(); ++k) {
      value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    out.push_back(CodePoint{value, i});
    i += length;
  }
  return out;
}

void AppendUtf8(char32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

}  // namespace cascade::engine
