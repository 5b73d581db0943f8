#include "tools/common/request_line.h"

#include <nlohmann/json.hpp>

namespace cascade::tools {

constexpr int64_t kMaxTokensPerLine = 1 << 20;

absl::StatusOr<v1::CascadeRequest> ParseRequestLine(const std::string& line,
                                                    const std::string& policy) {
  nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  v1::CascadeRequest request;
  request.set_policy(json.contains("policy") && json["policy"].is_string()
                         ? json["policy"].get<std::string>()
                         : policy);
  if (json.contains("prompt") && json["prompt"].is_string()) {
    v1::ChatMessage* message = request.add_messages();
    message->set_role("user");
    message->set_content(json["prompt"].get<std::string>());
  } else if (json.contains("messages") && json["messages"].is_array()) {
    for (const nlohmann::json& item : json["messages"]) {
      if (!item.is_object() || !item.contains("content") || !item["content"].is_string()) {
        return absl::InvalidArgumentError("a message needs \"role\" and string \"content\"");
      }
      v1::ChatMessage* message = request.add_messages();
      message->set_role(item.contains("role") && item["role"].is_string()
                            ? item["role"].get<std::string>()
                            : "user");
      message->set_content(item["content"].get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError("needs \"prompt\" (a string) or \"messages\" (an array)");
  }
  if (json.contains("max_tokens")) {
    const nlohmann::json& max_tokens = json["max_tokens"];
    if (!max_tokens.is_number_integer() || max_tokens.get<int64_t>() < 1 ||
        max_tokens.get<int64_t>() > kMaxTokensPerLine) {
      return absl::InvalidArgumentError("\"max_tokens\" must be an integer from 1 to 1048576");
    }
    request.mutable_params()->set_max_tokens(max_tokens.get<int>());
  }
  return request;
}

}  // namespace cascade::tools
