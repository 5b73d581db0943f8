#include "services/router/lib/labeled_queries.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cascade::router {

absl::StatusOr<std::vector<LabeledQuery>> ParseLabeledQueriesJsonl(absl::string_view jsonl,
                                                                   absl::string_view source_name) {
  std::vector<LabeledQuery> queries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto error = [&](absl::string_view message) {
      return absl::InvalidArgumentError(absl::StrCat(source_name, ":", line_number, ": ", message));
    };
    const nlohmann::json object = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (object.is_discarded()) return error("not valid JSON");
    if (!object.is_object()) return error("expected an object {\"text\": ..., \"label\": ...}");
    for (const auto& [key, value] : object.items()) {
      if (key != "text" && key != "label") {
        return error(absl::StrCat("unknown key '", key, "'; expected text, label"));
      }
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return error(absl::StrCat("`", key, "` must be a non-empty string"));
      }
    }
    if (!object.contains("text") || !object.contains("label")) {
      return error("both `text` and `label` are required");
    }
    queries.push_back({object["text"].get<std::string>(), object["label"].get<std::string>()});
  }
  return queries;
}

absl::StatusOr<std::vector<LabeledQuery>> LoadLabeledQueriesFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open labeled data ", path));
  std::stringstream contents;
  contents << file.rdbuf();
  return ParseLabeledQueriesJsonl(contents.str(), path);
}

RouteSet RouteSetFromLabeledQueries(absl::Span<const LabeledQuery> queries) {
  RouteSet set;
  absl::flat_hash_map<std::string, size_t> route_of_label;
  for (const LabeledQuery& query : queries) {
    if (query.label == kOutOfScopeLabel) continue;
    auto [it, inserted] = route_of_label.emplace(query.label, set.routes.size());
    if (inserted) {
      set.routes.emplace_back();
      set.routes.back().name = query.label;
    }
    set.routes[it->second].utterances.push_back(query.text);
  }
  return set;
}

}  // namespace cascade::router
