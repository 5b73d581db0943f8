#include "tools/bench/router/clinc150.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace cascade::router::bench {
namespace {

absl::Status ReadSplit(const nlohmann::json& root, const std::string& name,
                       std::vector<LabeledQuery>& out) {
  if (!root.contains(name) || !root[name].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("CLINC150 data has no split '", name, "'"));
  }
  for (const nlohmann::json& item : root[name]) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_string() || !item[1].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CLINC150 split '", name, "': expected [text, intent] pairs"));
    }
    out.push_back({item[0].get<std::string>(), item[1].get<std::string>()});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Clinc150> LoadClinc150(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const nlohmann::json root = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": bad JSON"));
  Clinc150 data;
  const std::pair<const char*, std::vector<LabeledQuery>*> splits[] = {
      {"train", &data.train},         {"val", &data.val},         {"test", &data.test},
      {"oos_train", &data.oos_train}, {"oos_val", &data.oos_val}, {"oos_test", &data.oos_test}};
  for (const auto& [name, out] : splits) {
    if (absl::Status status = ReadSplit(root, name, *out); !status.ok()) return status;
  }
  return data;
}

std::string DefaultClinc150Path() {
  return absl::StrCat(CASCADE_SOURCE_DIR, "/tests/data/clinc150_data_full.json");
}

}  // namespace cascade::router::bench
