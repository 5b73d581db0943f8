#include "common/config/yaml_to_json.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text/utf8.h"

namespace cascade {
namespace {

std::string EscapePointerToken(const std::string& token) {
  return absl::StrReplaceAll(token, {{"~", "~0"}, {"/", "~1"}});
}

bool ParseInteger(const std::string& text, int64_t* value) {
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+')) digits.remove_prefix(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *value);
  return ec == std::errc() && end == digits.data() + digits.size() && !digits.empty();
}

bool ParseFloat(const std::string& text, double* value) {
  if (text.empty()) return false;
  // Only decimal notation: "1.5", "-2e-3", ".5"; YAML's .inf/.nan are not config values.
  for (char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' ||
          c == '+' || c == '-')) {
      return false;
    }
  }
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*value);
}

nlohmann::json PlainScalar(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "~" || text == "null" || text.empty()) return nullptr;
  int64_t integer = 0;
  if (ParseInteger(text, &integer)) return integer;
  double number = 0;
  if (ParseFloat(text, &number)) return number;
  return text;
}

// Aliases let a few lines of YAML stand for an exponential number of values ("billion
// laughs") or, referring to themselves, an endless one; these bounds keep the conversion
// small. No real config comes near either.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxValues = 100000;

class Converter {
 public:
  Converter(absl::string_view source_name, YamlDocument* doc) : source_(source_name), doc_(doc) {}

  absl::StatusOr<nlohmann::json> Convert(const YAML::Node& node, const std::string& pointer,
                                         int depth = 0) {
    const int line = node.Mark().line + 1;
    if (depth > kMaxDepth) {
      return absl::FailedPreconditionError(absl::StrCat(
          source_, ":", line, ": nested more than ", kMaxDepth, " levels deep (an alias cycle?)"));
    }
    if (++values_ > kMaxValues) {
      return absl::FailedPreconditionError(
          absl::StrCat(source_, ":", line, ": more than ", kMaxValues,
                       " values once aliases are expanded; a config is far smaller"));
    }
    doc_->lines[pointer] = line;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nlohmann::json(nullptr);
      case YAML::NodeType::Scalar:
        if (!IsValidUtf8(node.Scalar())) return NotUtf8(line);
        // yaml-cpp tags plain scalars "?" and quoted ones "!".
        if (node.Tag() == "!") return nlohmann::json(node.Scalar());
        return PlainScalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        size_t index = 0;
        for (const YAML::Node& item : node) {
          auto value = Convert(item, absl::StrCat(pointer, "/", index++), depth + 1);
          if (!value.ok()) return value.status();
          array.push_back(*std::move(value));
        }
        return array;
      }
      case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& entry : node) {
          int line = entry.first.Mark().line + 1;
          if (!entry.first.IsScalar()) {
            return absl::FailedPreconditionError(
                absl::StrCat(source_, ":", line, ": a mapping key must be a plain string"));
          }
          std::string key = entry.first.Scalar();
          if (!IsValidUtf8(key)) return NotUtf8(line);
          if (object.contains(key)) {
            return absl::FailedPreconditionError(
                absl::StrCat(source_, ":", line, ": duplicate key '", key, "'"));
          }
          std::string child = absl::StrCat(pointer, "/", EscapePointerToken(key));
          auto value = Convert(entry.second, child, depth + 1);
          if (!value.ok()) return value.status();
          doc_->lines[child] = line;  // The key's line reads better than the value's.
          object[key] = *std::move(value);
        }
        return object;
      }
    }
    return nlohmann::json(nullptr);
  }

 private:
  absl::Status NotUtf8(int line) const {
    return absl::FailedPreconditionError(
        absl::StrCat(source_, ":", line, ": not valid UTF-8 (a config file is UTF-8 text)"));
  }

  std::string source_;
  YamlDocument* doc_;
  size_t values_ = 0;
};

}  // namespace

int YamlDocument::LineOf(const std::string& pointer) const {
  std::string current = pointer;
  while (true) {
    auto it = lines.find(current);
    if (it != lines.end()) return it->second;
    if (current.empty()) return 0;
    current = current.substr(0, current.rfind('/'));
  }
}

absl::StatusOr<YamlDocument> YamlToJson(absl::string_view yaml, absl::string_view source_name) {
  YamlDocument doc;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::FailedPreconditionError(absl::StrCat(
        source_name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
  }
  try {
    Converter converter(source_name, &doc);
    auto json = converter.Convert(root, "");
    if (!json.ok()) return json.status();
    doc.json = *std::move(json);
  } catch (const YAML::Exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat(source_name, ":", e.mark.line + 1, ": YAML error: ", e.msg));
  }
  return doc;
}

}  // namespace cascade
