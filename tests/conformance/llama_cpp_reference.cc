#include "tests/conformance/llama_cpp_reference.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tests/conformance/command.h"

namespace cascade::conformance {
namespace {

absl::StatusOr<std::vector<ReferenceModel>> Parse(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("models")) {
    return absl::InternalError(
        absl::StrCat("the reference script's output is not its JSON: ", text.substr(0, 200)));
  }
  std::vector<ReferenceModel> models;
  try {
    for (const auto& model_json : json.at("models")) {
      ReferenceModel& model = models.emplace_back();
      model.path = model_json.at("path").get<std::string>();
      model.bos = model_json.at("bos").is_null() ? -1 : model_json.at("bos").get<int>();
      for (const auto& prompt_json : model_json.at("prompts")) {
        ReferenceContinuation& prompt = model.prompts.emplace_back();
        prompt.text = prompt_json.at("text").get<std::string>();
        prompt.prompt_ids = prompt_json.at("prompt_ids").get<std::vector<int>>();
        prompt.special_ids = prompt_json.at("special_ids").get<std::vector<int>>();
        prompt.tokens = prompt_json.at("tokens").get<std::vector<int>>();
        prompt.top = prompt_json.at("top").get<std::vector<std::vector<std::pair<int, double>>>>();
        if (prompt.top.size() != prompt.tokens.size()) {
          return absl::InternalError("the reference script's top lists do not match its tokens");
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InternalError(absl::StrCat("the reference script's JSON: ", e.what()));
  }
  return models;
}

}  // namespace

absl::StatusOr<std::string> FindNodeModules(const std::string& work_dir) {
  const std::string script = std::string(CASCADE_SOURCE_DIR) + "/scripts/install-npm-tools.sh";
  auto result = RunCommand({script}, work_dir, "install-npm-tools");
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        script, " failed (it needs npm, and the network once to fill its cache): ", result->err));
  }
  return std::string(absl::StripTrailingAsciiWhitespace(result->out));
}

absl::StatusOr<std::vector<ReferenceModel>> RunLlamaCpp(const LlamaCppOptions& options) {
  std::vector<std::string> argv = {
      "node",
      std::string(CASCADE_SOURCE_DIR) + "/tests/conformance/llama_cpp_reference.mjs",
      "--node-modules",
      options.node_modules,
      "--tokens",
      std::to_string(options.tokens),
      "--top",
      std::to_string(options.top),
      "--context",
      std::to_string(options.context_size)};
  for (const auto& model : options.models) argv.insert(argv.end(), {"--model", model});
  for (const auto& prompt : options.prompts) argv.insert(argv.end(), {"--prompt", prompt});
  auto result = RunCommand(argv, options.work_dir, "llama_cpp_reference");
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("llama.cpp reference (", absl::StrJoin(options.models, ", "), ") exited with ",
                     result->exit_code, ": ", result->err));
  }
  return Parse(result->out);
}

}  // namespace cascade::conformance
