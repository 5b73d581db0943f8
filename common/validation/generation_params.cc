#include "common/validation/generation_params.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json/json_nesting.h"
#include "common/text/utf8.h"

namespace cascade {
namespace {

constexpr int kMaxStops = 4;
constexpr size_t kMaxStopBytes = 64;
constexpr int kMaxTopLogprobs = 20;
constexpr int kMaxTools = 128;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }
constexpr size_t kMaxToolNameBytes = 64;

bool IsToolName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxToolNameBytes) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

absl::Status ValidateTools(const v1::GenerationParams& params) {
  if (params.tools_size() > kMaxTools) {
    return Invalid(absl::StrCat("params.tools: ", params.tools_size(), " tools, over the limit of ",
                                kMaxTools));
  }
  std::set<std::string> names;
  for (int i = 0; i < params.tools_size(); ++i) {
    const v1::Tool& tool = params.tools(i);
    const std::string field = absl::StrCat("params.tools[", i, "]");
    if (!IsToolName(tool.name())) {
      return Invalid(absl::StrCat(field, ".name '", IsValidUtf8(tool.name()) ? tool.name() : "",
                                  "' must be 1 to 64 letters, digits, '_' or '-'"));
    }
    if (!names.insert(tool.name()).second) {
      return Invalid(absl::StrCat(field, ".name '", tool.name(), "' is declared twice"));
    }
    if (!IsValidUtf8(tool.description())) {
      return Invalid(absl::StrCat(field, ".description is not valid UTF-8"));
    }
    if (tool.parameters_json().empty()) continue;
    if (int depth = JsonNestingDepth(tool.parameters_json()); depth > kMaxJsonNesting) {
      return Invalid(absl::StrCat(field, ".parameters nests ", depth, " levels deep; at most ",
                                  kMaxJsonNesting, " are accepted"));
    }
    auto schema = nlohmann::json::parse(tool.parameters_json(), nullptr, false);
    if (schema.is_discarded() || !schema.is_object()) {
      return Invalid(absl::StrCat(field, ".parameters must be a JSON Schema object"));
    }
  }
  const std::string& choice = params.tool_choice();
  if (choice.empty()) return absl::OkStatus();
  if (params.tools_size() == 0) {
    return Invalid("params.tool_choice is set but params.tools is empty: declare the tools");
  }
  if (choice != "auto" && choice != "none" && choice != "required" && names.count(choice) == 0) {
    return Invalid(absl::StrCat("params.tool_choice '", IsValidUtf8(choice) ? choice : "",
                                "' must be \"auto\", \"none\", \"required\" or the name of a "
                                "declared tool"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGenerationParams(const v1::GenerationParams& params) {
  if (params.max_tokens() < 0) return Invalid("params.max_tokens must be >= 0");
  if (!std::isfinite(params.temperature()) || params.temperature() < 0) {
    return Invalid("params.temperature must be finite and >= 0");
  }
  if (!(params.top_p() >= 0 && params.top_p() <= 1)) {
    return Invalid("params.top_p must be in [0, 1]");
  }
  if (params.top_k() < 0) return Invalid("params.top_k must be >= 0");
  if (params.stop_size() > kMaxStops) {
    return Invalid(absl::StrCat("params.stop: ", params.stop_size(),
                                " stop strings, over the limit of ", kMaxStops));
  }
  for (int i = 0; i < params.stop_size(); ++i) {
    if (params.stop(i).size() > kMaxStopBytes || !IsValidUtf8(params.stop(i))) {
      return Invalid(absl::StrCat("params.stop[", i, "] must be valid UTF-8 of at most ",
                                  kMaxStopBytes, " bytes"));
    }
  }
  if (params.top_logprobs() < 0 || params.top_logprobs() > kMaxTopLogprobs) {
    return Invalid(absl::StrCat("params.top_logprobs must be in [0, ", kMaxTopLogprobs, "]"));
  }
  const std::string& schema = params.response_format().json_schema();
  if (int depth = JsonNestingDepth(schema); depth > kMaxJsonNesting) {
    return Invalid(absl::StrCat("params.response_format.json_schema nests ", depth,
                                " levels deep; at most ", kMaxJsonNesting, " are accepted"));
  }
  const std::string& effort = params.reasoning_effort();
  if (!effort.empty() && effort != "minimal" && effort != "low" && effort != "medium" &&
      effort != "high") {
    return Invalid("params.reasoning_effort must be \"minimal\", \"low\", \"medium\" or \"high\"");
  }
  return ValidateTools(params);
}

}  // namespace cascade
