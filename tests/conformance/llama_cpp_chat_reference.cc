#include "tests/conformance/llama_cpp_chat_reference.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/conformance/command.h"

namespace cascade::conformance {

absl::StatusOr<ChatReference> RunLlamaCppChat(
    const std::string& node_modules, const std::string& model,
    const std::vector<std::pair<std::string, std::string>>& messages, const std::string& work_dir) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [role, content] : messages)
    list.push_back({{"role", role}, {"content", content}});
  auto result = RunCommand(
      {"node", std::string(CASCADE_SOURCE_DIR) + "/tests/conformance/llama_cpp_chat_reference.mjs",
       "--node-modules", node_modules, "--model", model, "--messages", list.dump()},
      work_dir, "llama_cpp_chat_reference");
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the chat reference for ", model, " exited with ", result->exit_code, ": ", result->err));
  }
  const auto json = nlohmann::json::parse(result->out, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("ids") || !json.contains("rendered")) {
    return absl::InternalError(absl::StrCat("the chat reference printed no ids: ", result->out));
  }
  return ChatReference{json["rendered"].get<std::string>(), json["ids"].get<std::vector<int>>()};
}

}  // namespace cascade::conformance
