#pragma once

// Replaces a file's contents all at once: written to PATH.tmp, then renamed over PATH, so
// that a reader (another replica watching the file) sees the old version or the new one,
// never half of one.

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace cascade {

// PermissionDenied when PATH.tmp cannot be written or renamed; DataLoss when the write
// fails part way (a full disk). PATH.tmp never stays behind.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace cascade
