#include "common/io/atomic_file.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace cascade {

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) return absl::PermissionDeniedError(absl::StrCat("cannot write ", temporary));
    file << contents;
    file.flush();
    if (!file) {
      file.close();
      std::remove(temporary.c_str());
      return absl::DataLossError(absl::StrCat("writing ", temporary, " failed"));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot replace ", path));
  }
  return absl::OkStatus();
}

}  // namespace cascade
