#pragma once

// Splits a query (UTF-8) into the tokens the near-miss guard compares. Deliberately plain:
// no Unicode tables, so case and letters are recognised for ASCII only; any other
// multi-byte character is part of a word, except
//   - the currency signs € £ ¥ (and ASCII $), which are tokens of their own,
//   - the right single quote ’, read as an apostrophe (don’t = don't),
//   - Latin-1 punctuation (U+0080..U+00BF) and General Punctuation (U+2000..U+206F), which
//     separate words like ASCII punctuation does.
// Numbers: a token that starts with a digit runs over digits, '.' or ':' followed by a digit
// (3.5, 6:30) and thousands commas (a ',' followed by exactly three digits: 1,000); any
// other comma ends it, so "3,5" is two numbers. Letters right after a number are a token of
// their own (5km -> 5, km; 3pm -> 3, pm; 2nd -> 2, nd), while digits after a letter stay in
// the word (A380, mp3): those are names, not quantities.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cascade::cache {

struct QueryToken {
  // As written, apostrophes as ASCII '.
  std::string text;
  // ASCII-lowercased, possessive 's dropped (today's -> today); for numbers the canonical
  // form: leading zeros, thousands commas and trailing fractional zeros dropped (1,000.50 ->
  // 1000.5).
  std::string key;
  bool is_number = false;
  bool is_currency_sign = false;
  // First token of the text or of a sentence (after . ! ? or a line break).
  bool sentence_start = false;
};

std::vector<QueryToken> TokenizeQuery(absl::string_view text);

}  // namespace cascade::cache
