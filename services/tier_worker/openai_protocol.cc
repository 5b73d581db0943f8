#include "services/tier_worker/openai_protocol.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json/json_nesting.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteResponse;
using cascade::v1::FinishReason;
using cascade::v1::ResponseFormat;
using cascade::v1::TokenLogprob;
using nlohmann::json;

double LogprobOf(const json& value) {
  if (value.is_number()) return value.get<double>();
  return -std::numeric_limits<double>::infinity();
}

std::string StringOr(const json& object, const char* key, std::string fallback = "") {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

// A token id is an int32 in our protos; an upstream id that is negative or does not fit is
// no id at all (-1), never a wrapped number.
int32_t TokenIdOf(const json& entry) {
  auto it = entry.find("id");
  if (it == entry.end()) return -1;
  if (it->is_number_unsigned()) {
    const auto id = it->get<uint64_t>();
    return id <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
               ? static_cast<int32_t>(id)
               : -1;
  }
  if (it->is_number_integer()) {
    const auto id = it->get<int64_t>();
    return id >= 0 && id <= std::numeric_limits<int32_t>::max() ? static_cast<int32_t>(id) : -1;
  }
  return -1;
}

// A usage count: a non-negative integer that fits in int64. Anything else (a string, a
// fraction, a negative or overflowing number) is treated as not reported (0) rather than
// thrown on or cast with undefined behaviour.
int64_t CountOf(const json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end()) return 0;
  if (it->is_number_unsigned()) {
    const auto count = it->get<uint64_t>();
    return count <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
               ? static_cast<int64_t>(count)
               : 0;
  }
  if (it->is_number_integer()) return std::max<int64_t>(it->get<int64_t>(), 0);
  return 0;
}

void AppendChatShape(const json& content, google::protobuf::RepeatedPtrField<TokenLogprob>* out) {
  for (const json& entry : content) {
    if (!entry.is_object()) continue;
    TokenLogprob* token = out->Add();
    token->set_token(StringOr(entry, "token"));
    token->set_logprob(LogprobOf(entry.value("logprob", json())));
    token->set_token_id(TokenIdOf(entry));
    auto top = entry.find("top_logprobs");
    if (top == entry.end() || !top->is_array()) continue;
    for (const json& alternative : *top) {
      if (!alternative.is_object()) continue;
      auto* added = token->add_top();
      added->set_token(StringOr(alternative, "token"));
      added->set_logprob(LogprobOf(alternative.value("logprob", json())));
      added->set_token_id(TokenIdOf(alternative));
    }
  }
}

void AppendLegacyShape(const json& logprobs,
                       google::protobuf::RepeatedPtrField<TokenLogprob>* out) {
  const json& tokens = logprobs["tokens"];
  auto values = logprobs.find("token_logprobs");
  auto tops = logprobs.find("top_logprobs");
  for (size_t i = 0; i < tokens.size(); ++i) {
    TokenLogprob* token = out->Add();
    token->set_token(tokens[i].is_string() ? tokens[i].get<std::string>() : "");
    token->set_token_id(-1);
    token->set_logprob(values != logprobs.end() && values->is_array() && i < values->size()
                           ? LogprobOf((*values)[i])
                           : -std::numeric_limits<double>::infinity());
    if (tops == logprobs.end() || !tops->is_array() || i >= tops->size()) continue;
    const json& top = (*tops)[i];
    if (!top.is_object()) continue;
    for (const auto& [text, value] : top.items()) {
      auto* added = token->add_top();
      added->set_token(text);
      added->set_logprob(LogprobOf(value));
      added->set_token_id(-1);
    }
  }
}

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("upstream answer is not a valid chat completion: ", what));
}

// nlohmann::json copies and dumps recursively (an upstream error object is dumped into the
// status), so an answer nested too deeply is refused before it is parsed.
absl::Status CheckNesting(absl::string_view body) {
  const int depth = JsonNestingDepth(std::string_view(body.data(), body.size()));
  if (depth <= kMaxJsonNesting) return absl::OkStatus();
  return Malformed(
      absl::StrCat("it nests ", depth, " levels deep; at most ", kMaxJsonNesting, " are accepted"));
}

// The part of a response or chunk common to both: model id and usage.
void TakeModelAndUsage(const json& root, CompleteResponse* response, bool* saw_usage) {
  std::string model = StringOr(root, "model");
  if (!model.empty()) response->set_upstream_model(model);
  auto usage = root.find("usage");
  if (usage != root.end() && usage->is_object()) {
    response->mutable_usage()->set_prompt_tokens(CountOf(*usage, "prompt_tokens"));
    response->mutable_usage()->set_completion_tokens(CountOf(*usage, "completion_tokens"));
    // OpenAI: usage.completion_tokens_details.reasoning_tokens (part of completion_tokens).
    auto details = usage->find("completion_tokens_details");
    if (details != usage->end() && details->is_object()) {
      response->mutable_usage()->set_reasoning_tokens(CountOf(*details, "reasoning_tokens"));
    }
    if (saw_usage != nullptr) *saw_usage = true;
  }
}

json MessageJson(const cascade::v1::ChatMessage& message) {
  json out = {{"role", message.role()}, {"content", message.content()}};
  if (message.parts_size() > 0) {  // Text and images, in order.
    json parts = json::array();
    for (const auto& part : message.parts()) {
      if (part.image_url().empty()) {
        parts.push_back({{"type", "text"}, {"text", part.text()}});
        continue;
      }
      json image = {{"url", part.image_url()}};
      if (!part.image_detail().empty()) image["detail"] = part.image_detail();
      parts.push_back({{"type", "image_url"}, {"image_url", std::move(image)}});
    }
    out["content"] = std::move(parts);
  }
  if (message.role() == "tool") out["tool_call_id"] = message.tool_call_id();
  if (message.tool_calls_size() > 0) {
    json calls = json::array();
    for (const auto& call : message.tool_calls()) {
      calls.push_back({{"id", call.id()},
                       {"type", "function"},
                       {"function", {{"name", call.name()}, {"arguments", call.arguments()}}}});
    }
    out["tool_calls"] = std::move(calls);
    // OpenAI takes null content next to tool calls; an empty string is refused by some.
    if (message.content().empty()) out["content"] = nullptr;
  }
  return out;
}

// tools and tool_choice in OpenAI's shape; the schemas were checked at the boundary.
absl::Status AddTools(const cascade::v1::GenerationParams& params, json& body) {
  if (params.tools_size() == 0) return absl::OkStatus();
  json tools = json::array();
  for (const auto& tool : params.tools()) {
    json function = {{"name", tool.name()}};
    if (!tool.description().empty()) function["description"] = tool.description();
    if (!tool.parameters_json().empty()) {
      if (JsonNestingDepth(tool.parameters_json()) > kMaxJsonNesting) {
        return absl::InvalidArgumentError(
            absl::StrCat("the parameters of tool '", tool.name(), "' nest too deeply"));
      }
      json schema = json::parse(tool.parameters_json(), nullptr, /*allow_exceptions=*/false);
      if (schema.is_discarded() || !schema.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the parameters of tool '", tool.name(), "' are not a JSON object"));
      }
      function["parameters"] = std::move(schema);
    }
    tools.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  body["tools"] = std::move(tools);
  const std::string& choice = params.tool_choice();
  if (choice == "auto" || choice == "none" || choice == "required") {
    body["tool_choice"] = choice;
  } else if (!choice.empty()) {
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", choice}}}};
  }
  if (params.has_parallel_tool_calls()) body["parallel_tool_calls"] = params.parallel_tool_calls();
  return absl::OkStatus();
}

void AppendToolCalls(const json& calls, CompleteResponse* response) {
  if (!calls.is_array()) return;
  for (const json& call : calls) {
    if (!call.is_object()) continue;
    auto* out = response->add_tool_calls();
    out->set_id(StringOr(call, "id"));
    auto function = call.find("function");
    if (function == call.end() || !function->is_object()) continue;
    out->set_name(StringOr(*function, "name"));
    out->set_arguments(StringOr(*function, "arguments"));
  }
}

}  // namespace

absl::StatusOr<std::string> BuildChatCompletionBody(const cascade::v1::CompleteRequest& request,
                                                    const ChatRequestOptions& options) {
  const auto& params = request.params();
  json body = json::object();
  body["model"] = options.model;
  json messages = json::array();
  for (const auto& message : request.messages()) messages.push_back(MessageJson(message));
  body["messages"] = std::move(messages);
  if (options.stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  if (options.reasoning) {
    // Reasoning models count their thinking against max_completion_tokens, refuse
    // max_tokens, temperature and top_p, and take an effort instead.
    if (params.max_tokens() > 0) body["max_completion_tokens"] = params.max_tokens();
    if (!params.reasoning_effort().empty()) body["reasoning_effort"] = params.reasoning_effort();
  } else {
    if (params.max_tokens() > 0) body["max_tokens"] = params.max_tokens();
    // Our 0 means greedy, and so does the upstreams'; always sent so their defaults (often
    // 1.0) do not silently apply.
    body["temperature"] = params.temperature();
    if (params.top_p() > 0 && params.top_p() < 1) body["top_p"] = params.top_p();
  }
  if (absl::Status tools = AddTools(params, body); !tools.ok()) return tools;
  // Not part of OpenAI's API (it refuses it); vLLM and llama.cpp take it. Sent only when
  // the caller asked for it.
  if (params.top_k() > 0) body["top_k"] = params.top_k();
  if (params.has_seed()) body["seed"] = params.seed();
  if (params.stop_size() > 0) {
    body["stop"] = json(std::vector<std::string>(params.stop().begin(), params.stop().end()));
  }
  if (options.upstream_supports_logprobs && (params.logprobs() || params.top_logprobs() > 0)) {
    body["logprobs"] = true;
    if (params.top_logprobs() > 0) body["top_logprobs"] = params.top_logprobs();
  }
  switch (params.response_format().type()) {
    case ResponseFormat::JSON_OBJECT:
      body["response_format"] = {{"type", "json_object"}};
      break;
    case ResponseFormat::JSON_SCHEMA: {
      const std::string& text = params.response_format().json_schema();
      // Normally refused earlier (request_validation); the copy below would recurse.
      if (JsonNestingDepth(text) > kMaxJsonNesting) {
        return absl::InvalidArgumentError(absl::StrCat(
            "params.response_format.json_schema nests more than ", kMaxJsonNesting, " levels"));
      }
      json schema = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (schema.is_discarded() || !schema.is_object()) {
        return absl::InvalidArgumentError(
            "params.response_format.json_schema is not a JSON object");
      }
      body["response_format"] = {{"type", "json_schema"},
                                 {"json_schema", {{"name", "response"}, {"schema", schema}}}};
      break;
    }
    default:
      break;
  }
  // Invalid UTF-8 was refused before we got here; replace rather than throw regardless.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

FinishReason ParseFinishReason(absl::string_view reason) {
  if (reason == "stop" || reason == "eos" || reason == "stop_sequence" || reason == "end_turn") {
    return cascade::v1::FINISH_REASON_STOP;
  }
  if (reason == "length" || reason == "max_tokens" || reason == "model_length") {
    return cascade::v1::FINISH_REASON_LENGTH;
  }
  if (reason == "tool_calls" || reason == "function_call" || reason == "tool_use") {
    return cascade::v1::FINISH_REASON_TOOL_CALLS;
  }
  return cascade::v1::FINISH_REASON_UNSPECIFIED;
}

void AppendNormalizedLogprobs(const json& logprobs,
                              google::protobuf::RepeatedPtrField<TokenLogprob>* out) {
  if (!logprobs.is_object()) return;
  auto content = logprobs.find("content");
  if (content != logprobs.end()) {
    if (content->is_array()) AppendChatShape(*content, out);
    return;
  }
  auto tokens = logprobs.find("tokens");
  if (tokens != logprobs.end() && tokens->is_array()) AppendLegacyShape(logprobs, out);
}

absl::StatusOr<CompleteResponse> ParseChatCompletion(absl::string_view body) {
  if (auto status = CheckNesting(body); !status.ok()) return status;
  json root = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Malformed("the body is not JSON");
  if (!root.is_object()) return Malformed("the body is not a JSON object");
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->is_array() || choices->empty() ||
      !(*choices)[0].is_object()) {
    return Malformed("no choices");
  }
  const json& choice = (*choices)[0];
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object())
    return Malformed("choices[0] has no message");
  CompleteResponse response;
  response.set_text(StringOr(*message, "content"));
  response.set_finish_reason(ParseFinishReason(StringOr(choice, "finish_reason")));
  if (auto calls = message->find("tool_calls"); calls != message->end()) {
    AppendToolCalls(*calls, &response);
  }
  auto logprobs = choice.find("logprobs");
  if (logprobs != choice.end()) AppendNormalizedLogprobs(*logprobs, response.mutable_logprobs());
  TakeModelAndUsage(root, &response, nullptr);
  return response;
}

absl::StatusOr<CompleteChunk> ChatStreamAssembler::AddEvent(absl::string_view data) {
  CompleteChunk delta;
  if (data == "[DONE]") {
    saw_done_ = true;
    return delta;
  }
  if (auto status = CheckNesting(data); !status.ok()) return status;
  json root = json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return Malformed("a stream chunk is not JSON");
  auto error = root.find("error");
  if (error != root.end() && !error->is_null()) {
    std::string message =
        error->is_object() ? StringOr(*error, "message", error->dump()) : error->dump();
    return absl::UnavailableError(absl::StrCat("upstream error in the stream: ", message));
  }
  TakeModelAndUsage(root, &response_, &saw_usage_);
  auto choices = root.find("choices");
  if (choices == root.end() || !choices->is_array() || choices->empty()) return delta;
  const json& choice = (*choices)[0];
  if (!choice.is_object()) return Malformed("a stream chunk's choice is not an object");
  auto content_delta = choice.find("delta");
  if (content_delta != choice.end() && content_delta->is_object()) {
    std::string text = StringOr(*content_delta, "content");
    if (!text.empty()) {
      ++content_chunks_;
      delta.set_text(text);
      response_.mutable_text()->append(text);
    }
    if (auto calls = content_delta->find("tool_calls"); calls != content_delta->end()) {
      if (absl::Status status = AddToolCallDeltas(*calls); !status.ok()) return status;
    }
  }
  auto logprobs = choice.find("logprobs");
  if (logprobs != choice.end()) {
    AppendNormalizedLogprobs(*logprobs, delta.mutable_logprobs());
    for (const auto& token : delta.logprobs()) *response_.add_logprobs() = token;
  }
  auto finish = choice.find("finish_reason");
  if (finish != choice.end() && finish->is_string()) {
    saw_finish_reason_ = true;
    response_.set_finish_reason(ParseFinishReason(finish->get<std::string>()));
  }
  return delta;
}

absl::Status ChatStreamAssembler::AddToolCallDeltas(const json& deltas) {
  if (deltas.is_null()) return absl::OkStatus();
  if (!deltas.is_array()) return Malformed("a stream chunk's tool_calls is not an array");
  constexpr int64_t kMaxToolCalls = 128;
  for (const json& piece : deltas) {
    if (!piece.is_object()) return Malformed("a stream chunk's tool call is not an object");
    // The index says which call a piece continues; without one, the pieces are in order.
    const int64_t index = piece.contains("index") ? CountOf(piece, "index")
                                                  : std::max(response_.tool_calls_size() - 1, 0);
    if (index >= kMaxToolCalls) return Malformed("a stream chunk's tool call index is too large");
    while (response_.tool_calls_size() <= index) response_.add_tool_calls();
    auto* call = response_.mutable_tool_calls(static_cast<int>(index));
    if (std::string id = StringOr(piece, "id"); !id.empty()) call->set_id(id);
    auto function = piece.find("function");
    if (function == piece.end() || !function->is_object()) continue;
    if (std::string name = StringOr(*function, "name"); !name.empty()) call->set_name(name);
    call->mutable_arguments()->append(StringOr(*function, "arguments"));
  }
  return absl::OkStatus();
}

}  // namespace cascade::tier_worker
