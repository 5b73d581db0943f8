#pragma once

// nlohmann::json parses any depth without recursion, but copying and dumping a value
// recurse: a document nested tens of thousands deep overflows the stack. Every service
// measures the nesting of JSON it did not write before it parses it, and refuses what is
// deeper than kMaxJsonNesting with INVALID_ARGUMENT.

#include <string_view>

namespace cascade {

// Real requests and JSON Schemas nest a handful of levels; 64 leaves room for any of them.
inline constexpr int kMaxJsonNesting = 64;

// The deepest nesting of arrays and objects in `text`, skipping string contents (escapes
// included). Not a validator: malformed JSON gets a number too, and the parser judges it.
int JsonNestingDepth(std::string_view text);

}  // namespace cascade
