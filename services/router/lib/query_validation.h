#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cascade::router {

// InvalidArgument, saying what to fix, for an empty query, one over `max_query_bytes`
// (the limit is named) or one that is not valid UTF-8 (the offset is named).
absl::Status ValidateQuery(absl::string_view query, size_t max_query_bytes);

// Offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code points
// above U+10FFFF included), or npos when `text` is valid.
size_t FindInvalidUtf8(absl::string_view text);

}  // namespace cascade::router
