#include "services/router/lib/query_validation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cascade::router {

size_t FindInvalidUtf8(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xBF;  // Allowed range of the second byte.
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // Overlong.
      if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates.
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // Overlong.
      if (lead == 0xF4) high = 0x8F;  // Above U+10FFFF.
    } else {
      return i;  // Continuation byte without a lead, C0/C1 overlongs, F5..FF.
    }
    if (i + length > size) return i;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
    for (size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

absl::Status ValidateQuery(absl::string_view query, size_t max_query_bytes) {
  if (query.empty()) {
    return absl::InvalidArgumentError("query is empty; send the text to route");
  }
  if (query.size() > max_query_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query is ", query.size(), " bytes, over the limit max_query_bytes = ", max_query_bytes,
        "; send a shorter query (e.g. its first paragraph)"));
  }
  if (size_t offset = FindInvalidUtf8(query); offset != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "query is not valid UTF-8 (byte 0x%02X at offset %d); encode the text as UTF-8",
        static_cast<unsigned char>(query[offset]), offset));
  }
  return absl::OkStatus();
}

}  // namespace cascade::router
