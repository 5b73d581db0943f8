// UTF-8: the one well-formedness check every service boundary uses (no overlong forms,
// surrogates or code points past U+10FFFF, as JSON and protobuf strings need), and the
// streaming reassembly the detokenizer needs: a byte-fallback token carries one byte of a
// character, so a character can arrive in pieces across tokens.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace cascade {

inline constexpr absl::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool IsValidUtf8(absl::string_view text);

// Valid UTF-8 for any bytes: each invalid sequence becomes one U+FFFD.
std::string SanitizeUtf8(absl::string_view bytes);

// Turns a stream of byte pieces into a stream of valid UTF-8 text. A character split across
// pieces is held back until it is complete, so no piece of output ever ends mid-character;
// invalid bytes come out as U+FFFD.
class Utf8Stream {
 public:
  // Appends `bytes`; returns the text that is now complete (valid until the next call).
  absl::string_view Push(absl::string_view bytes);
  // Ends the stream: an unfinished character comes out as U+FFFD.
  std::string Flush();

 private:
  std::string pending_;  // bytes of an unfinished character
  std::string output_;
};

}  // namespace cascade
