#include "common/config/config_loader.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cascade/v1/options.pb.h"
#include "common/config/yaml_to_json.h"

namespace cascade {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const char* JsonTypeName(const nlohmann::json& value) {
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a mapping";
  return "null";
}

// Walks the JSON alongside the message descriptor and collects every mistake.
class Validator {
 public:
  Validator(absl::string_view source, const YamlDocument& doc) : source_(source), doc_(doc) {}

  void Message(nlohmann::json& value, const Descriptor* descriptor, const std::string& pointer,
               const std::string& path) {
    if (!value.is_object()) {
      Fail(
          pointer, path,
          absl::StrCat("expected a mapping (", descriptor->name(), "), got ", JsonTypeName(value)));
      return;
    }
    std::vector<const google::protobuf::OneofDescriptor*> oneofs_seen;
    std::vector<std::string> oneof_members;
    for (auto& [key, child] : value.items()) {
      std::string child_pointer = absl::StrCat(pointer, "/", key);
      std::string child_path = path.empty() ? key : absl::StrCat(path, ".", key);
      const FieldDescriptor* field = descriptor->FindFieldByName(key);
      if (field == nullptr) {
        Fail(child_pointer, child_path, absl::StrCat("unknown field", Suggestion(key, descriptor)));
        continue;
      }
      if (child.is_null()) continue;  // `key: ~` leaves the field unset.
      if (const auto* oneof = field->real_containing_oneof()) {
        auto it = std::find(oneofs_seen.begin(), oneofs_seen.end(), oneof);
        if (it != oneofs_seen.end()) {
          Fail(child_pointer, child_path,
               absl::StrCat("only one of '", oneof_members[it - oneofs_seen.begin()], "' and '",
                            key, "' may be set"));
        } else {
          oneofs_seen.push_back(oneof);
          oneof_members.push_back(key);
        }
      }
      Field(child, field, child_pointer, child_path);
    }
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      if (!field->options().GetExtension(cascade::v1::required)) continue;
      bool present = value.contains(field->name()) && !value[field->name()].is_null();
      if (!present) {
        std::string field_path =
            path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
        Fail(pointer, field_path, "missing required field");
      }
    }
  }

  std::vector<std::string> errors() const { return errors_; }

 private:
  void Field(nlohmann::json& value, const FieldDescriptor* field, const std::string& pointer,
             const std::string& path) {
    if (field->is_map()) {
      if (!value.is_object()) {
        Fail(pointer, path, absl::StrCat("expected a mapping, got ", JsonTypeName(value)));
        return;
      }
      const FieldDescriptor* value_field = field->message_type()->map_value();
      for (auto& [key, item] : value.items()) {
        Single(item, value_field, absl::StrCat(pointer, "/", key), absl::StrCat(path, ".", key));
      }
      return;
    }
    if (field->is_repeated()) {
      if (!value.is_array()) {
        Fail(pointer, path, absl::StrCat("expected a list, got ", JsonTypeName(value)));
        return;
      }
      for (size_t i = 0; i < value.size(); ++i) {
        Single(value[i], field, absl::StrCat(pointer, "/", i), absl::StrCat(path, "[", i, "]"));
      }
      return;
    }
    Single(value, field, pointer, path);
  }

  void Single(nlohmann::json& value, const FieldDescriptor* field, const std::string& pointer,
              const std::string& path) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const Descriptor* type = field->message_type();
        if (type->full_name() == "google.protobuf.Duration") {
          Duration(value, pointer, path);
          return;
        }
        Message(value, type, pointer, path);
        return;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!value.is_boolean()) Expect(pointer, path, "true or false", value);
        return;
      case FieldDescriptor::CPPTYPE_STRING:
        if (!value.is_string()) {
          Expect(pointer, path, "a string (quote it if it looks like a number)", value);
          return;
        }
        if (field->options().GetExtension(cascade::v1::secret_env)) {
          auto secret = ReadSecretFromEnv(value.get<std::string>());
          if (!secret.ok()) Fail(pointer, path, std::string(secret.status().message()));
        }
        return;
      case FieldDescriptor::CPPTYPE_ENUM: {
        if (!value.is_string() ||
            field->enum_type()->FindValueByName(value.get<std::string>()) == nullptr) {
          std::vector<std::string> names;
          for (int i = 0; i < field->enum_type()->value_count(); ++i) {
            names.push_back(field->enum_type()->value(i)->name());
          }
          Fail(
              pointer, path,
              absl::StrCat("expected one of ", absl::StrJoin(names, ", "), ", got ", value.dump()));
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        if (!value.is_number()) Expect(pointer, path, "a number", value);
        return;
      default:  // Integer types.
        if (!value.is_number_integer()) Expect(pointer, path, "an integer", value);
        return;
    }
  }

  // Accepts what people write ("250ms", "5s", "1m30s") and rewrites it into the form the
  // proto JSON parser takes ("0.250000000s").
  void Duration(nlohmann::json& value, const std::string& pointer, const std::string& path) {
    absl::Duration duration;
    if (!value.is_string() || !absl::ParseDuration(value.get<std::string>(), &duration) ||
        duration == absl::InfiniteDuration() || duration == -absl::InfiniteDuration()) {
      Fail(pointer, path,
           absl::StrCat("expected a duration such as \"5s\", \"250ms\" or \"1m\", got ",
                        value.is_string() ? value.dump() : JsonTypeName(value)));
      return;
    }
    value = absl::StrFormat("%.9fs", absl::ToDoubleSeconds(duration));
  }

  void Expect(const std::string& pointer, const std::string& path, absl::string_view expected,
              const nlohmann::json& value) {
    Fail(pointer, path, absl::StrCat("expected ", expected, ", got ", JsonTypeName(value)));
  }

  std::string Suggestion(const std::string& key, const Descriptor* descriptor) {
    std::string best;
    size_t best_distance = 3;  // Suggest only close misspellings.
    for (int i = 0; i < descriptor->field_count(); ++i) {
      size_t distance = EditDistance(key, descriptor->field(i)->name());
      if (distance < best_distance) {
        best_distance = distance;
        best = descriptor->field(i)->name();
      }
    }
    if (!best.empty()) return absl::StrCat(" (did you mean '", best, "'?)");
    std::vector<std::string> names;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      names.push_back(descriptor->field(i)->name());
    }
    return absl::StrCat(" (", descriptor->name(), " has: ", absl::StrJoin(names, ", "), ")");
  }

  void Fail(const std::string& pointer, const std::string& path, absl::string_view what) {
    errors_.push_back(absl::StrCat(source_, ":", doc_.LineOf(pointer), ": ", what, " '",
                                   path.empty() ? "(top level)" : path, "'"));
  }

  std::string source_;
  const YamlDocument& doc_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseConfigYaml(absl::string_view yaml, absl::string_view source_name,
                             google::protobuf::Message* out) {
  auto doc = YamlToJson(yaml, source_name);
  if (!doc.ok()) return doc.status();
  if (doc->json.is_null()) doc->json = nlohmann::json::object();  // An empty file is defaults.
  Validator validator(source_name, *doc);
  validator.Message(doc->json, out->GetDescriptor(), "", "");
  if (!validator.errors().empty()) {
    return absl::FailedPreconditionError(absl::StrJoin(validator.errors(), "\n"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(doc->json.dump(), out, options);
  if (!status.ok()) {
    // Values the validator lets through but the proto parser refuses (a malformed
    // duration, an integer out of range).
    return absl::FailedPreconditionError(
        absl::StrCat(source_name, ": invalid value: ", status.message().as_string()));
  }
  return absl::OkStatus();
}

absl::Status LoadConfigFile(const std::string& path, google::protobuf::Message* out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream contents;
  contents << file.rdbuf();
  return ParseConfigYaml(contents.str(), path, out);
}

absl::StatusOr<std::string> ReadSecretFromEnv(absl::string_view env_name) {
  if (env_name.empty()) return absl::FailedPreconditionError("no environment variable named");
  const char* value = std::getenv(std::string(env_name).c_str());
  if (value == nullptr || *value == '\0') {
    return absl::FailedPreconditionError(
        absl::StrCat("environment variable ", env_name, " (a secret) is not set"));
  }
  return std::string(value);
}

}  // namespace cascade
