#include "services/orchestrator/front_door/openai_request.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/json/json_nesting.h"
#include "common/validation/generation_params.h"

namespace cascade::orchestrator {
namespace {

using nlohmann::json;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("'", field, "' ", what));
}

// Fields that would change the answer and that a cascade of plain text generations
// cannot honour; the message says what to do instead.
absl::Status Unsupported(absl::string_view field) {
  return Bad(field,
             "is not supported by Cascade (no legacy function calling (use tools), audio, "
             "predicted outputs, web search or token biasing); remove it");
}

const std::set<std::string>& HandledFields() {
  static const auto* fields = new std::set<std::string>{
      "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop",
      "seed", "logprobs", "top_logprobs", "response_format", "stream", "stream_options", "cascade",
      "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort",
      // Accepted and ignored (docs/front-door.md says why each is harmless): they ask for
      // storage, caching, priority or abuse tracking upstream, or a length preference.
      "user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier",
      "verbosity",
      // Checked below: accepted only with their neutral value.
      "n", "logit_bias", "presence_penalty", "frequency_penalty", "modalities"};
  return *fields;
}

const std::set<std::string>& UnsupportedFields() {
  static const auto* fields = new std::set<std::string>{
      "functions", "function_call", "audio", "prediction", "web_search_options", "top_k_logprobs"};
  return *fields;
}

bool IsNull(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null();
}

absl::StatusOr<double> Number(const json& value, absl::string_view field, double min, double max) {
  if (!value.is_number()) return Bad(field, "must be a number");
  double number = value.get<double>();
  if (!std::isfinite(number) || number < min || number > max) {
    return Bad(field, absl::StrCat("must be between ", min, " and ", max));
  }
  return number;
}

absl::StatusOr<int64_t> Integer(const json& value, absl::string_view field, int64_t min,
                                int64_t max) {
  if (!value.is_number_integer()) return Bad(field, "must be an integer");
  int64_t number =
      value.is_number_unsigned()
          ? static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), uint64_t{1} << 62))
          : value.get<int64_t>();
  if (number < min || number > max) {
    return Bad(field, absl::StrCat("must be between ", min, " and ", max));
  }
  return number;
}

absl::StatusOr<std::string> String(const json& value, absl::string_view field) {
  if (!value.is_string()) return Bad(field, "must be a string");
  return value.get<std::string>();
}

// Content is a string or an array of parts: {"type": "text", "text"} and, in a user
// message, {"type": "image_url", "image_url": {"url", "detail"}}. With an image, every part
// goes to `parts` in order; `content` holds the text either way.
absl::Status ParseContent(const json& content, const std::string& field, v1::ChatMessage* out) {
  if (content.is_string()) {
    out->set_content(content.get<std::string>());
    return absl::OkStatus();
  }
  if (!content.is_array()) return Bad(field, "must be a string or an array of parts");
  std::string text;
  bool has_image = false;
  google::protobuf::RepeatedPtrField<v1::ContentPart> parts;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string part_field = absl::StrCat(field, "[", i, "]");
    if (!part.is_object()) return Bad(part_field, "must be an object {\"type\": \"text\", ...}");
    auto type = part.find("type");
    if (type != part.end() && *type == "image_url") {
      auto image = part.find("image_url");
      if (image == part.end() || !image->is_object()) {
        return Bad(absl::StrCat(part_field, ".image_url"),
                   "must be an object {\"url\", \"detail\"}");
      }
      auto url = image->find("url");
      if (url == image->end() || !url->is_string()) {
        return Bad(absl::StrCat(part_field, ".image_url.url"), "must be a string");
      }
      v1::ContentPart* added = parts.Add();
      added->set_image_url(url->get<std::string>());
      auto detail = image->find("detail");
      if (detail != image->end() && !detail->is_null()) {
        if (!detail->is_string()) {
          return Bad(absl::StrCat(part_field, ".image_url.detail"), "must be a string");
        }
        added->set_image_detail(detail->get<std::string>());
      }
      has_image = true;
      continue;
    }
    if (type == part.end() || *type != "text") {
      return Bad(absl::StrCat(part_field, ".type"),
                 "must be \"text\" or \"image_url\" (no audio or files)");
    }
    auto part_text = part.find("text");
    if (part_text == part.end() || !part_text->is_string()) {
      return Bad(absl::StrCat(part_field, ".text"), "must be a string");
    }
    parts.Add()->set_text(part_text->get<std::string>());
    text += part_text->get<std::string>();
  }
  out->set_content(std::move(text));
  if (has_image) *out->mutable_parts() = std::move(parts);
  return absl::OkStatus();
}

// An assistant message's tool_calls: [{"id", "type": "function", "function": {"name",
// "arguments"}}].
absl::Status ParseToolCalls(const json& calls, const std::string& field, v1::ChatMessage* out) {
  if (!calls.is_array()) return Bad(field, "must be an array of tool calls");
  for (size_t c = 0; c < calls.size(); ++c) {
    const json& call = calls[c];
    const std::string at = absl::StrCat(field, "[", c, "]");
    if (!call.is_object()) return Bad(at, "must be an object {\"id\", \"type\", \"function\"}");
    auto type = call.find("type");
    if (type != call.end() && !type->is_null() && *type != "function") {
      return Bad(absl::StrCat(at, ".type"), "must be \"function\"");
    }
    auto function = call.find("function");
    if (function == call.end() || !function->is_object()) {
      return Bad(absl::StrCat(at, ".function"), "must be an object {\"name\", \"arguments\"}");
    }
    v1::ToolCall* added = out->add_tool_calls();
    auto id = call.find("id");
    if (id == call.end() || !id->is_string())
      return Bad(absl::StrCat(at, ".id"), "must be a string");
    added->set_id(id->get<std::string>());
    auto name = function->find("name");
    if (name == function->end() || !name->is_string()) {
      return Bad(absl::StrCat(at, ".function.name"), "must be a string");
    }
    added->set_name(name->get<std::string>());
    auto arguments = function->find("arguments");
    if (arguments != function->end() && !arguments->is_null()) {
      if (!arguments->is_string()) {
        return Bad(absl::StrCat(at, ".function.arguments"), "must be a string of JSON");
      }
      added->set_arguments(arguments->get<std::string>());
    }
  }
  return absl::OkStatus();
}

absl::Status ParseMessages(const json& messages, v1::CascadeRequest* request) {
  if (!messages.is_array() || messages.empty()) {
    return Bad("messages", "must be a non-empty array of {\"role\", \"content\"}");
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& message = messages[i];
    const std::string field = absl::StrCat("messages[", i, "]");
    if (!message.is_object()) return Bad(field, "must be an object {\"role\", \"content\"}");
    for (const auto& [key, value] : message.items()) {
      if (key == "function_call" || key == "audio") {
        if (value.is_null()) continue;
        return Unsupported(absl::StrCat(field, ".", key));
      }
      if (key != "role" && key != "content" && key != "name" && key != "refusal" &&
          key != "tool_calls" && key != "tool_call_id") {
        return Bad(absl::StrCat(field, ".", key), "is not a field of a chat message");
      }
    }
    auto role = message.find("role");
    if (role == message.end() || !role->is_string()) {
      return Bad(absl::StrCat(field, ".role"),
                 "must be \"system\", \"user\", \"assistant\" or \"tool\"");
    }
    std::string role_name = role->get<std::string>();
    // "developer" is the newer name of "system" in OpenAI's API.
    if (role_name == "developer") role_name = "system";
    if (role_name != "system" && role_name != "user" && role_name != "assistant" &&
        role_name != "tool") {
      return Bad(absl::StrCat(field, ".role"),
                 absl::StrCat("is \"", role->get<std::string>(),
                              "\"; Cascade takes \"system\", \"developer\", \"user\", "
                              "\"assistant\" or \"tool\""));
    }
    v1::ChatMessage* out = request->add_messages();
    out->set_role(role_name);
    auto calls = message.find("tool_calls");
    const bool has_calls =
        calls != message.end() && !calls->is_null() && !(calls->is_array() && calls->empty());
    if (has_calls) {
      if (role_name != "assistant") {
        return Bad(absl::StrCat(field, ".tool_calls"), "is only for assistant messages");
      }
      absl::Status parsed = ParseToolCalls(*calls, absl::StrCat(field, ".tool_calls"), out);
      if (!parsed.ok()) return parsed;
    }
    auto call_id = message.find("tool_call_id");
    if (role_name == "tool") {
      if (call_id == message.end() || !call_id->is_string()) {
        return Bad(absl::StrCat(field, ".tool_call_id"),
                   "must be the id of the tool call this message answers");
      }
      out->set_tool_call_id(call_id->get<std::string>());
    } else if (call_id != message.end() && !call_id->is_null()) {
      return Bad(absl::StrCat(field, ".tool_call_id"), "is only for tool messages");
    }
    auto content = message.find("content");
    if (content == message.end() || content->is_null()) {
      // An assistant message that only calls tools has no content.
      if (has_calls) continue;
      return Bad(absl::StrCat(field, ".content"), "is missing");
    }
    absl::Status parsed = ParseContent(*content, absl::StrCat(field, ".content"), out);
    if (!parsed.ok()) return parsed;
  }
  return absl::OkStatus();
}

// tools: [{"type": "function", "function": {"name", "description", "parameters",
// "strict"}}]; tool_choice: "auto" | "none" | "required" | {"type": "function",
// "function": {"name"}}.
absl::Status ParseTools(const json& body, v1::GenerationParams* params) {
  if (!IsNull(body, "tools")) {
    const json& tools = body["tools"];
    if (!tools.is_array()) return Bad("tools", "must be an array of {\"type\": \"function\", ...}");
    for (size_t i = 0; i < tools.size(); ++i) {
      const json& tool = tools[i];
      const std::string field = absl::StrCat("tools[", i, "]");
      if (!tool.is_object()) return Bad(field, "must be an object {\"type\", \"function\"}");
      auto type = tool.find("type");
      if (type == tool.end() || *type != "function") {
        return Bad(absl::StrCat(field, ".type"),
                   "must be \"function\" (custom and built-in tools are not supported)");
      }
      auto function = tool.find("function");
      if (function == tool.end() || !function->is_object()) {
        return Bad(absl::StrCat(field, ".function"), "must be an object with a \"name\"");
      }
      v1::Tool* out = params->add_tools();
      for (const auto& [key, value] : function->items()) {
        const std::string at = absl::StrCat(field, ".function.", key);
        if (key == "name" || key == "description") {
          if (!value.is_string()) return Bad(at, "must be a string");
          if (key == "name") out->set_name(value.get<std::string>());
          if (key == "description") out->set_description(value.get<std::string>());
        } else if (key == "parameters") {
          if (!value.is_object()) return Bad(at, "must be a JSON Schema object");
          out->set_parameters_json(value.dump());
        } else if (key == "strict") {
          // Strict schema adherence: the cascade's tool call check enforces the schema
          // whatever the flag says.
          if (!value.is_boolean() && !value.is_null()) return Bad(at, "must be true or false");
        } else {
          return Bad(at, "is not a field of a function tool");
        }
      }
    }
  }
  if (!IsNull(body, "tool_choice")) {
    const json& choice = body["tool_choice"];
    if (choice.is_string()) {
      params->set_tool_choice(choice.get<std::string>());
    } else if (choice.is_object() && choice.value("type", "") == "function" &&
               choice.contains("function") && choice["function"].is_object() &&
               choice["function"].contains("name") && choice["function"]["name"].is_string()) {
      params->set_tool_choice(choice["function"]["name"].get<std::string>());
    } else {
      return Bad("tool_choice",
                 "must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", "
                 "\"function\": {\"name\": ...}}");
    }
  }
  if (!IsNull(body, "parallel_tool_calls")) {
    if (!body["parallel_tool_calls"].is_boolean()) {
      return Bad("parallel_tool_calls", "must be true or false");
    }
    params->set_parallel_tool_calls(body["parallel_tool_calls"].get<bool>());
  }
  if (!IsNull(body, "reasoning_effort")) {
    absl::StatusOr<std::string> effort = String(body["reasoning_effort"], "reasoning_effort");
    if (!effort.ok()) return effort.status();
    params->set_reasoning_effort(*effort);
  }
  return absl::OkStatus();
}

absl::Status ParseResponseFormat(const json& format, v1::ResponseFormat* out) {
  if (!format.is_object()) return Bad("response_format", "must be an object {\"type\": ...}");
  auto type = format.find("type");
  if (type == format.end() || !type->is_string()) {
    return Bad("response_format.type", "must be \"text\", \"json_object\" or \"json_schema\"");
  }
  if (*type == "text") {
    out->set_type(v1::ResponseFormat::TEXT);
  } else if (*type == "json_object") {
    out->set_type(v1::ResponseFormat::JSON_OBJECT);
  } else if (*type == "json_schema") {
    auto spec = format.find("json_schema");
    if (spec == format.end() || !spec->is_object()) {
      return Bad("response_format.json_schema", "must be an object with a \"schema\"");
    }
    auto schema = spec->find("schema");
    if (schema == spec->end() || !schema->is_object()) {
      return Bad("response_format.json_schema.schema", "must be a JSON Schema object");
    }
    out->set_type(v1::ResponseFormat::JSON_SCHEMA);
    out->set_json_schema(schema->dump());
  } else {
    return Bad("response_format.type", "must be \"text\", \"json_object\" or \"json_schema\"");
  }
  return absl::OkStatus();
}

absl::Status ParseStop(const json& stop, v1::GenerationParams* params) {
  if (stop.is_string()) {
    params->add_stop(stop.get<std::string>());
    return absl::OkStatus();
  }
  if (!stop.is_array() || stop.size() > 4) {
    return Bad("stop", "must be a string or an array of at most 4 strings");
  }
  for (size_t i = 0; i < stop.size(); ++i) {
    if (!stop[i].is_string()) return Bad(absl::StrCat("stop[", i, "]"), "must be a string");
    params->add_stop(stop[i].get<std::string>());
  }
  return absl::OkStatus();
}

// The `cascade` extension object: Cascade's own controls of one request.
absl::Status ParseCascadeExtension(const json& extension, v1::CascadeRequest* request) {
  if (!extension.is_object()) return Bad("cascade", "must be an object");
  for (const auto& [key, value] : extension.items()) {
    const std::string field = absl::StrCat("cascade.", key);
    if (value.is_null()) continue;
    if (key == "route_hint" || key == "start_tier" || key == "max_tier" || key == "tenant") {
      absl::StatusOr<std::string> text = String(value, field);
      if (!text.ok()) return text.status();
      if (key == "route_hint") request->set_route_hint(*text);
      if (key == "start_tier") request->set_start_tier(*text);
      if (key == "max_tier") request->set_max_tier(*text);
      if (key == "tenant") request->set_tenant(*text);
    } else if (key == "threshold") {
      absl::StatusOr<double> threshold = Number(value, field, -1e9, 1e9);
      if (!threshold.ok()) return threshold.status();
      request->set_threshold_override(*threshold);
    } else if (key == "budget_usd") {
      absl::StatusOr<double> usd = Number(value, field, 0, 1e6);
      if (!usd.ok()) return usd.status();
      request->set_budget_pusd(std::llround(*usd * 1e12));
    } else {
      return Bad(field,
                 "is not a Cascade option; use route_hint, start_tier, max_tier, threshold, "
                 "budget_usd or tenant");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNeutral(const json& body) {
  if (!IsNull(body, "n")) {
    absl::StatusOr<int64_t> n = Integer(body["n"], "n", 1, 128);
    if (!n.ok()) return n.status();
    if (*n != 1) return Bad("n", "must be 1: Cascade returns one choice per request");
  }
  if (!IsNull(body, "logit_bias")) {
    const json& bias = body["logit_bias"];
    if (!bias.is_object() || !bias.empty()) return Unsupported("logit_bias");
  }
  for (const char* penalty : {"presence_penalty", "frequency_penalty"}) {
    if (IsNull(body, penalty)) continue;
    if (!body[penalty].is_number() || body[penalty].get<double>() != 0.0) {
      return Bad(penalty, "is not supported by Cascade's tiers; remove it or send 0");
    }
  }
  if (!IsNull(body, "modalities")) {
    if (body["modalities"] != json::array({"text"})) {
      return Bad("modalities", "must be [\"text\"]: Cascade serves text only");
    }
  }
  return absl::OkStatus();
}

absl::Status ParseParams(const json& body, v1::GenerationParams* params) {
  if (!IsNull(body, "temperature")) {
    absl::StatusOr<double> value = Number(body["temperature"], "temperature", 0, 2);
    if (!value.ok()) return value.status();
    params->set_temperature(static_cast<float>(*value));
  }
  if (absl::Status tools = ParseTools(body, params); !tools.ok()) return tools;
  if (!IsNull(body, "top_p")) {
    absl::StatusOr<double> value = Number(body["top_p"], "top_p", 0, 1);
    if (!value.ok()) return value.status();
    params->set_top_p(static_cast<float>(*value));
  }
  // max_completion_tokens is the newer name; when both are sent they must agree.
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (IsNull(body, key)) continue;
    absl::StatusOr<int64_t> value = Integer(body[key], key, 1, 1 << 30);
    if (!value.ok()) return value.status();
    if (params->max_tokens() != 0 && params->max_tokens() != *value) {
      return Bad(key, "disagrees with max_tokens; send one of them");
    }
    params->set_max_tokens(static_cast<int32_t>(*value));
  }
  if (!IsNull(body, "stop")) {
    if (absl::Status status = ParseStop(body["stop"], params); !status.ok()) return status;
  }
  if (!IsNull(body, "seed")) {
    absl::StatusOr<int64_t> seed =
        Integer(body["seed"], "seed", std::numeric_limits<int64_t>::min(),
                std::numeric_limits<int64_t>::max());
    if (!seed.ok()) return seed.status();
    params->set_seed(static_cast<uint64_t>(*seed));
  }
  if (!IsNull(body, "logprobs")) {
    if (!body["logprobs"].is_boolean()) return Bad("logprobs", "must be true or false");
    params->set_logprobs(body["logprobs"].get<bool>());
  }
  if (!IsNull(body, "top_logprobs")) {
    absl::StatusOr<int64_t> value = Integer(body["top_logprobs"], "top_logprobs", 0, 20);
    if (!value.ok()) return value.status();
    if (*value > 0 && !params->logprobs()) {
      return Bad("top_logprobs", "needs \"logprobs\": true");
    }
    params->set_top_logprobs(static_cast<int32_t>(*value));
  }
  if (!IsNull(body, "response_format")) {
    return ParseResponseFormat(body["response_format"], params->mutable_response_format());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(absl::string_view body) {
  if (int depth = cascade::JsonNestingDepth({body.data(), body.size()});
      depth > cascade::kMaxJsonNesting) {
    return absl::InvalidArgumentError(absl::StrCat("the request body nests arrays and objects ",
                                                   depth, " levels deep; at most ",
                                                   cascade::kMaxJsonNesting, " are accepted"));
  }
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("the request body is not valid JSON");
  }
  return ParseChatCompletionJson(parsed);
}

absl::StatusOr<ChatCompletionRequest> ParseChatCompletionJson(const json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("the request body must be an object");
  for (const auto& [key, value] : body.items()) {
    if (UnsupportedFields().count(key) != 0) {
      if (value.is_null()) continue;
      return Unsupported(key);
    }
    if (HandledFields().count(key) == 0) {
      return Bad(key,
                 "is not a field Cascade knows; remove it (unknown fields are refused because "
                 "they may change the answer)");
    }
  }
  ChatCompletionRequest out;
  if (IsNull(body, "model")) return Bad("model", "is missing: name a cascade policy");
  absl::StatusOr<std::string> model = String(body["model"], "model");
  if (!model.ok()) return model.status();
  if (model->empty()) return Bad("model", "is empty: name a cascade policy");
  out.model = *model;
  out.cascade.set_policy(*model);

  if (IsNull(body, "messages")) return Bad("messages", "is missing");
  if (absl::Status status = ParseMessages(body["messages"], &out.cascade); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckNeutral(body); !status.ok()) return status;
  if (absl::Status status = ParseParams(body, out.cascade.mutable_params()); !status.ok()) {
    return status;
  }
  out.temperature_unset = IsNull(body, "temperature");
  // The contract's own checks (tool names, schemas, tool_choice naming a declared tool,
  // reasoning_effort's values), with the OpenAI field names.
  if (absl::Status status = ValidateGenerationParams(out.cascade.params()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrReplaceAll(status.message(), {{"params.", ""}}));
  }
  if (!IsNull(body, "stream")) {
    if (!body["stream"].is_boolean()) return Bad("stream", "must be true or false");
    out.stream = body["stream"].get<bool>();
  }
  if (!IsNull(body, "stream_options")) {
    const json& options = body["stream_options"];
    if (!out.stream) return Bad("stream_options", "is only allowed with \"stream\": true");
    if (!options.is_object()) return Bad("stream_options", "must be an object");
    for (const auto& [key, value] : options.items()) {
      if (key != "include_usage") {
        return Bad(absl::StrCat("stream_options.", key), "is not supported; remove it");
      }
      if (!value.is_boolean()) return Bad("stream_options.include_usage", "must be a boolean");
      out.include_usage = value.get<bool>();
    }
  }
  if (!IsNull(body, "cascade")) {
    if (absl::Status status = ParseCascadeExtension(body["cascade"], &out.cascade); !status.ok()) {
      return status;
    }
  }
  return out;
}

}  // namespace cascade::orchestrator
