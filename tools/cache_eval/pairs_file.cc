#include "tools/cache_eval/pairs_file.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/json/json_lines.h"

namespace cascade::cache_eval {

absl::StatusOr<std::vector<cache::LabelledPair>> ReadPairsFile(const std::string& path) {
  std::vector<cache::LabelledPair> pairs;
  absl::Status status =
      ForEachJsonLine(path, [&](const nlohmann::json& json, JsonLineError where) -> absl::Status {
        cache::LabelledPair pair;
        for (const auto& [key, value] : json.items()) {
          if (key == "a" || key == "b") {
            if (!value.is_string() || value.get<std::string>().empty()) {
              return where(absl::StrCat("\"", key, "\" must be a non-empty string"));
            }
            (key == "a" ? pair.first : pair.second) = value.get<std::string>();
          } else if (key == "same") {
            if (!value.is_boolean()) return where("\"same\" must be true or false");
            pair.same = value.get<bool>();
          } else if (key == "route") {
            if (!value.is_string()) return where("\"route\" must be a string");
            pair.route = value.get<std::string>();
          } else {
            return where(absl::StrCat("unknown key \"", key, "\" (a, b, same, route)"));
          }
        }
        if (!json.contains("a") || !json.contains("b")) return where("needs \"a\" and \"b\"");
        if (!json.contains("same")) return where("needs \"same\": true or false");
        pairs.push_back(std::move(pair));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return pairs;
}

std::string PairLine(const cache::LabelledPair& pair) {
  nlohmann::json json = {{"a", pair.first}, {"b", pair.second}, {"same", pair.same}};
  if (!pair.route.empty()) json["route"] = pair.route;
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status WritePairsFile(const std::string& path,
                            const std::vector<cache::LabelledPair>& pairs) {
  std::ofstream file(path);
  if (!file) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  for (const cache::LabelledPair& pair : pairs) file << PairLine(pair) << "\n";
  file.close();
  if (!file) return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
  return absl::OkStatus();
}

}  // namespace cascade::cache_eval
