#include "common/json/json_schema_check.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cascade {
namespace {

using nlohmann::json;

// Deeper than this, a schema refers to itself in a loop; the check gives up there.
constexpr int kMaxDepth = 64;

bool HasType(const json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    return value.is_number_float() && std::floor(value.get<double>()) == value.get<double>();
  }
  return true;  // An unknown type name constrains nothing.
}

std::string Shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

class Checker {
 public:
  explicit Checker(const json& root) : root_(root) {}

  std::optional<std::string> Check(const json& value, const json& schema, const std::string& at,
                                   int depth) const {
    if (depth > kMaxDepth) return absl::StrCat(at, ": the schema nests or refers too deeply");
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return std::nullopt;
      return absl::StrCat(at, ": no value is allowed here");
    }
    if (!schema.is_object()) return std::nullopt;
    if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const json* target = Resolve(ref->get<std::string>());
      if (target == nullptr) {
        return absl::StrCat(at, ": the schema's $ref ", ref->dump(), " is not a local definition");
      }
      if (auto bad = Check(value, *target, at, depth + 1)) return bad;
    }
    if (auto bad = Type(value, schema, at)) return bad;
    if (auto it = schema.find("enum"); it != schema.end() && it->is_array()) {
      bool found = false;
      for (const json& option : *it) found = found || option == value;
      if (!found) return absl::StrCat(at, ": ", Shown(value), " is not one of the enum");
    }
    if (auto it = schema.find("const"); it != schema.end() && *it != value) {
      return absl::StrCat(at, ": ", Shown(value), " is not the constant ", Shown(*it));
    }
    if (auto bad = Combinations(value, schema, at, depth)) return bad;
    if (value.is_object()) return Object(value, schema, at, depth);
    if (value.is_array()) return Array(value, schema, at, depth);
    if (value.is_string()) return String(value, schema, at);
    if (value.is_number()) return Number(value, schema, at);
    return std::nullopt;
  }

 private:
  const json* Resolve(const std::string& ref) const {
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      if (!absl::StartsWith(ref, prefix)) continue;
      const std::string section = absl::StrContains(prefix, "$defs") ? "$defs" : "definitions";
      auto defs = root_.find(section);
      if (defs == root_.end() || !defs->is_object()) return nullptr;
      auto target = defs->find(ref.substr(std::string(prefix).size()));
      return target == defs->end() ? nullptr : &*target;
    }
    return ref == "#" ? &root_ : nullptr;
  }

  static std::optional<std::string> Type(const json& value, const json& schema,
                                         const std::string& at) {
    auto type = schema.find("type");
    if (type == schema.end()) return std::nullopt;
    std::vector<std::string> allowed;
    if (type->is_string()) allowed.push_back(type->get<std::string>());
    if (type->is_array()) {
      for (const json& t : *type) {
        if (t.is_string()) allowed.push_back(t.get<std::string>());
      }
    }
    for (const std::string& t : allowed) {
      if (HasType(value, t)) return std::nullopt;
    }
    if (allowed.empty()) return std::nullopt;
    return absl::StrCat(at, ": ", Shown(value), " is not of type ", absl::StrJoin(allowed, " or "));
  }

  std::optional<std::string> Combinations(const json& value, const json& schema,
                                          const std::string& at, int depth) const {
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const json& part : *all) {
        if (auto bad = Check(value, part, at, depth + 1)) return bad;
      }
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      auto options = schema.find(key);
      if (options == schema.end() || !options->is_array() || options->empty()) continue;
      int passed = 0;
      std::string first_failure;
      for (const json& option : *options) {
        auto bad = Check(value, option, at, depth + 1);
        if (!bad) ++passed;
        if (bad && first_failure.empty()) first_failure = *bad;
      }
      if (passed == 0) {
        return absl::StrCat(at, ": matches none of ", key, " (first: ", first_failure, ")");
      }
      if (std::string(key) == "oneOf" && passed > 1) {
        return absl::StrCat(at, ": matches ", passed, " of oneOf's schemas, not exactly one");
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> Object(const json& value, const json& schema, const std::string& at,
                                    int depth) const {
    if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const json& name : *required) {
        if (name.is_string() && !value.contains(name.get<std::string>())) {
          return absl::StrCat(at, ".", name.get<std::string>(), ": is missing (required)");
        }
      }
    }
    auto properties = schema.find("properties");
    const bool has_properties = properties != schema.end() && properties->is_object();
    auto additional = schema.find("additionalProperties");
    for (const auto& [key, member] : value.items()) {
      const std::string member_at = absl::StrCat(at, ".", key);
      if (has_properties) {
        if (auto property = properties->find(key); property != properties->end()) {
          if (auto bad = Check(member, *property, member_at, depth + 1)) return bad;
          continue;
        }
      }
      if (additional == schema.end()) continue;
      if (additional->is_boolean() && !additional->get<bool>()) {
        return absl::StrCat(member_at, ": is not a property the schema allows");
      }
      if (auto bad = Check(member, *additional, member_at, depth + 1)) return bad;
    }
    return std::nullopt;
  }

  std::optional<std::string> Array(const json& value, const json& schema, const std::string& at,
                                   int depth) const {
    if (auto min = schema.find("minItems"); min != schema.end() && min->is_number()) {
      if (value.size() < min->get<double>()) {
        return absl::StrCat(at, ": ", value.size(), " items, fewer than minItems ", min->dump());
      }
    }
    if (auto max = schema.find("maxItems"); max != schema.end() && max->is_number()) {
      if (value.size() > max->get<double>()) {
        return absl::StrCat(at, ": ", value.size(), " items, more than maxItems ", max->dump());
      }
    }
    if (auto items = schema.find("items"); items != schema.end() && items->is_object()) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (auto bad = Check(value[i], *items, absl::StrCat(at, "[", i, "]"), depth + 1)) {
          return bad;
        }
      }
    }
    return std::nullopt;
  }

  static std::optional<std::string> String(const json& value, const json& schema,
                                           const std::string& at) {
    // Lengths count code points, as JSON Schema does.
    size_t length = 0;
    for (unsigned char c : value.get_ref<const std::string&>()) length += (c & 0xC0) != 0x80;
    if (auto min = schema.find("minLength"); min != schema.end() && min->is_number()) {
      if (length < min->get<double>()) {
        return absl::StrCat(at, ": shorter than minLength ", min->dump());
      }
    }
    if (auto max = schema.find("maxLength"); max != schema.end() && max->is_number()) {
      if (length > max->get<double>()) {
        return absl::StrCat(at, ": longer than maxLength ", max->dump());
      }
    }
    return std::nullopt;
  }

  static std::optional<std::string> Number(const json& value, const json& schema,
                                           const std::string& at) {
    const double number = value.get<double>();
    auto bound = [&](const char* key, auto out_of_range) -> std::optional<std::string> {
      auto it = schema.find(key);
      if (it == schema.end() || !it->is_number()) return std::nullopt;
      if (out_of_range(number, it->get<double>())) {
        return absl::StrCat(at, ": ", Shown(value), " is outside ", key, " ", it->dump());
      }
      return std::nullopt;
    };
    if (auto bad = bound("minimum", [](double v, double b) { return v < b; })) return bad;
    if (auto bad = bound("maximum", [](double v, double b) { return v > b; })) return bad;
    if (auto bad = bound("exclusiveMinimum", [](double v, double b) { return v <= b; })) return bad;
    if (auto bad = bound("exclusiveMaximum", [](double v, double b) { return v >= b; })) return bad;
    return std::nullopt;
  }

  const json& root_;
};

}  // namespace

std::optional<std::string> JsonSchemaViolation(const json& value, const json& schema) {
  return Checker(schema).Check(value, schema, "$", 0);
}

}  // namespace cascade
