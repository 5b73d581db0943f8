#pragma once

// SHA-256 of a byte string, as 64 lower-case hex digits.

#include <string>

#include "absl/strings/string_view.h"

namespace cascade {

std::string Sha256Hex(absl::string_view bytes);

}  // namespace cascade
