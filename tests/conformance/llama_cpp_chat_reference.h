// The reference for chat templates: llama_cpp_chat_reference.mjs renders a conversation with
// the model file's own Jinja template and tokenizes it with llama.cpp, special tokens parsed.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::conformance {

struct ChatReference {
  std::string rendered;  // the template's output
  std::vector<int> ids;  // llama.cpp's tokens of it
};

// `messages`: (role, content) pairs. FailedPrecondition with node's stderr when node,
// node-llama-cpp or the file's template is missing.
absl::StatusOr<ChatReference> RunLlamaCppChat(
    const std::string& node_modules, const std::string& model,
    const std::vector<std::pair<std::string, std::string>>& messages, const std::string& work_dir);

}  // namespace cascade::conformance
