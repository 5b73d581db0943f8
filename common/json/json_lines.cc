#include "common/json/json_lines.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace cascade {

absl::Status ForEachJsonLine(
    const std::string& path,
    absl::FunctionRef<absl::Status(const nlohmann::json& object, JsonLineError where)> on_object) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string line;
  int number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto where = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", what));
    };
    const nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return where("not a JSON object");
    if (absl::Status status = on_object(json, where); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace cascade
