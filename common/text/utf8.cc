#include "common/text/utf8.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace cascade {
namespace {

enum class Sequence { kComplete, kIncomplete, kInvalid };

// Classifies the character starting at bytes[0]. Sets `length` to its byte count when complete,
// or to the length of the invalid prefix (at least 1) that one U+FFFD should replace.
Sequence Classify(absl::string_view bytes, size_t& length) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) {
    length = 1;
    return Sequence::kComplete;
  }
  size_t expected = 0;
  uint8_t second_min = 0x80;
  uint8_t second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    expected = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    expected = 3;
    if (lead == 0xE0) second_min = 0xA0;  // no overlong forms
    if (lead == 0xED) second_max = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    expected = 4;
    if (lead == 0xF0) second_min = 0x90;  // no overlong forms
    if (lead == 0xF4) second_max = 0x8F;  // nothing above U+10FFFF
  } else {
    length = 1;
    return Sequence::kInvalid;
  }
  for (size_t i = 1; i < expected; ++i) {
    if (i >= bytes.size()) return Sequence::kIncomplete;
    const uint8_t low = i == 1 ? second_min : 0x80;
    const uint8_t high = i == 1 ? second_max : 0xBF;
    if (byte(i) < low || byte(i) > high) {
      length = i;
      return Sequence::kInvalid;
    }
  }
  length = expected;
  return Sequence::kComplete;
}

// Appends the valid text of `bytes` to `out`; returns how many trailing bytes form an unfinished
// (so far valid) character and were not consumed.
size_t AppendValid(absl::string_view bytes, std::string& out) {
  size_t i = 0;
  while (i < bytes.size()) {
    size_t length = 0;
    switch (Classify(bytes.substr(i), length)) {
      case Sequence::kComplete:
        absl::StrAppend(&out, bytes.substr(i, length));
        i += length;
        break;
      case Sequence::kInvalid:
        absl::StrAppend(&out, kReplacementCharacter);
        i += length;
        break;
      case Sequence::kIncomplete:
        return bytes.size() - i;
    }
  }
  return 0;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t length = 0;
    if (Classify(text.substr(i), length) != Sequence::kComplete) return false;
    i += length;
  }
  return true;
}

std::string SanitizeUtf8(absl::string_view bytes) {
  Utf8Stream stream;
  std::string text(stream.Push(bytes));
  return text + stream.Flush();
}

absl::string_view Utf8Stream::Push(absl::string_view bytes) {
  output_.clear();
  absl::StrAppend(&pending_, bytes);
  const size_t unfinished = AppendValid(pending_, output_);
  pending_.erase(0, pending_.size() - unfinished);
  return output_;
}

std::string Utf8Stream::Flush() {
  std::string tail = pending_.empty() ? "" : std::string(kReplacementCharacter);
  pending_.clear();
  return tail;
}

}  // namespace cascade
