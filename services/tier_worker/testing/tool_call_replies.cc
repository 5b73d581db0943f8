#include "services/tier_worker/testing/tool_call_replies.h"

#include "services/tier_worker/testing/fake_openai_server.h"

namespace cascade::tier_worker::testing {
namespace {

using nlohmann::json;

constexpr int kPromptTokens = 30;
constexpr int kCallTokens = 12;

bool DeclaresTools(const json& request) {
  return request.is_object() && request.contains("tools") && request["tools"].is_array() &&
         !request["tools"].empty();
}

// The last message's content when it is a tool's result.
std::optional<std::string> ToolResult(const json& request) {
  const json& messages = request.value("messages", json::array());
  if (!messages.is_array() || messages.empty()) return std::nullopt;
  const json& last = messages.back();
  if (!last.is_object() || last.value("role", "") != "tool") return std::nullopt;
  return last.value("content", "");
}

// The call this model makes: {"id", "name", "arguments"}.
json CallOf(const json& request) {
  const json& function = request["tools"][0].value("function", json::object());
  const std::string name = function.value("name", "tool");
  if (request.value("model", "").find("small") != std::string::npos) {
    return {{"id", "call_small_1"}, {"name", name + "_v2"}, {"arguments", "{}"}};
  }
  json arguments = json::object();
  const json& parameters = function.value("parameters", json::object());
  const json& properties = parameters.value("properties", json::object());
  for (const json& required : parameters.value("required", json::array())) {
    if (!required.is_string()) continue;
    const std::string type =
        properties.value(required.get<std::string>(), json::object()).value("type", "string");
    arguments[required.get<std::string>()] = type == "number" || type == "integer" ? json(1)
                                             : type == "boolean"                   ? json(true)
                                                                                   : json("Paris");
  }
  return {{"id", "call_1"}, {"name", name}, {"arguments", arguments.dump()}};
}

json Usage(int completion_tokens) {
  return {{"prompt_tokens", kPromptTokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", kPromptTokens + completion_tokens}};
}

std::vector<std::string> AnswerTokens(const std::string& result) {
  return {"The", " tool", " says:", " " + result};
}

}  // namespace

std::optional<json> ToolCallingReply(const json& request) {
  if (!DeclaresTools(request)) return std::nullopt;
  const std::string model = request.value("model", "fake-model");
  if (auto result = ToolResult(request)) {
    return ChatCompletionJson(AnswerTokens(*result), kPromptTokens, 4, /*with_logprobs=*/true,
                              model);
  }
  const json call = CallOf(request);
  json message = {{"role", "assistant"},
                  {"content", nullptr},
                  {"tool_calls",
                   {{{"id", call["id"]},
                     {"type", "function"},
                     {"function", {{"name", call["name"]}, {"arguments", call["arguments"]}}}}}}};
  return json{{"id", "chatcmpl-tools"},
              {"object", "chat.completion"},
              {"model", model},
              {"choices",
               {{{"index", 0},
                 {"message", std::move(message)},
                 {"logprobs", nullptr},
                 {"finish_reason", "tool_calls"}}}},
              {"usage", Usage(kCallTokens)}};
}

std::vector<std::string> ToolCallingChunks(const json& request) {
  if (!DeclaresTools(request)) return {};
  const std::string model = request.value("model", "fake-model");
  if (auto result = ToolResult(request)) {
    return ChatCompletionChunks(AnswerTokens(*result), kPromptTokens, 4, /*with_logprobs=*/true,
                                /*with_usage=*/true, model);
  }
  const json call = CallOf(request);
  const std::string arguments = call["arguments"].get<std::string>();
  const size_t half = arguments.size() / 2;
  auto chunk = [&model](json choices) {
    return json{{"id", "chatcmpl-tools"},
                {"object", "chat.completion.chunk"},
                {"model", model},
                {"choices", std::move(choices)}}
        .dump();
  };
  auto delta = [](json tool_call) {
    return json::array({{{"index", 0},
                         {"delta", {{"tool_calls", json::array({std::move(tool_call)})}}},
                         {"finish_reason", nullptr}}});
  };
  std::vector<std::string> chunks;
  chunks.push_back(chunk(json::array({{{"index", 0},
                                       {"delta", {{"role", "assistant"}, {"content", nullptr}}},
                                       {"finish_reason", nullptr}}})));
  chunks.push_back(chunk(delta({{"index", 0},
                                {"id", call["id"]},
                                {"type", "function"},
                                {"function", {{"name", call["name"]}, {"arguments", ""}}}})));
  chunks.push_back(
      chunk(delta({{"index", 0}, {"function", {{"arguments", arguments.substr(0, half)}}}})));
  chunks.push_back(
      chunk(delta({{"index", 0}, {"function", {{"arguments", arguments.substr(half)}}}})));
  chunks.push_back(chunk(
      json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", "tool_calls"}}})));
  chunks.push_back(json{{"id", "chatcmpl-tools"},
                        {"object", "chat.completion.chunk"},
                        {"model", model},
                        {"choices", json::array()},
                        {"usage", Usage(kCallTokens)}}
                       .dump());
  return chunks;
}

}  // namespace cascade::tier_worker::testing
