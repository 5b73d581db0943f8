#pragma once

// YAML -> JSON with the source line of every value, so that config errors can name it.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade {

struct YamlDocument {
  nlohmann::json json;
  // JSON pointer ("/server/grpc_listen", "/models/0/path") -> 1-based line.
  std::map<std::string, int> lines;

  // The line of `pointer`, or of its closest ancestor that has one (0 if none).
  int LineOf(const std::string& pointer) const;
};

// Plain scalars that read as integers, floats or true/false become numbers and booleans
// (not yes/no); quoted scalars stay strings; `~`, `null` and empty values become null.
// Duplicate keys, non-scalar keys, anchors' merge keys and syntax errors are errors
// naming `source_name` and the line.
absl::StatusOr<YamlDocument> YamlToJson(absl::string_view yaml, absl::string_view source_name);

}  // namespace cascade
