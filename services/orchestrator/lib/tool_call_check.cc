#include "services/orchestrator/lib/tool_call_check.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/json/json_nesting.h"
#include "common/json/json_schema_check.h"

namespace cascade::orchestrator {

std::optional<std::string> ToolCallViolation(const v1::GenerationParams& params,
                                             const v1::CompleteResponse& answer) {
  const std::string& choice = params.tool_choice();
  const int calls = answer.tool_calls_size();
  if (choice == "none" && calls > 0) {
    return absl::StrCat(calls, " tool call(s) although tool_choice is \"none\"");
  }
  if (calls == 0) {
    if (choice == "required") return "no tool call although tool_choice is \"required\"";
    if (!choice.empty() && choice != "auto" && choice != "none") {
      return absl::StrCat("no call of '", choice, "' although tool_choice names it");
    }
    return std::nullopt;
  }
  if (params.has_parallel_tool_calls() && !params.parallel_tool_calls() && calls > 1) {
    return absl::StrCat(calls, " tool calls although parallel_tool_calls is false");
  }
  for (int i = 0; i < calls; ++i) {
    const v1::ToolCall& call = answer.tool_calls(i);
    const std::string at = absl::StrCat("tool_calls[", i, "]");
    const v1::Tool* tool = nullptr;
    for (const v1::Tool& declared : params.tools()) {
      if (declared.name() == call.name()) tool = &declared;
    }
    if (tool == nullptr) return absl::StrCat(at, ": '", call.name(), "' is not a declared tool");
    if (choice != "" && choice != "auto" && choice != "required" && call.name() != choice) {
      return absl::StrCat(at, ": '", call.name(), "' called although tool_choice names '", choice,
                          "'");
    }
    if (JsonNestingDepth(call.arguments()) > kMaxJsonNesting) {
      return absl::StrCat(at, ": its arguments nest too deeply");
    }
    auto arguments = nlohmann::json::parse(call.arguments(), nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      return absl::StrCat(at, ": the arguments of '", call.name(), "' are not a JSON object");
    }
    if (tool->parameters_json().empty()) continue;
    // Validated when the request came in (generation_params.h).
    auto schema = nlohmann::json::parse(tool->parameters_json(), nullptr, false);
    if (auto violation = JsonSchemaViolation(arguments, schema)) {
      return absl::StrCat(at, ": the arguments of '", call.name(),
                          "' do not fit its schema: ", *violation);
    }
  }
  return std::nullopt;
}

}  // namespace cascade::orchestrator
