#include "services/orchestrator/front_door/openai_request.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json/json_nesting.h"

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
             "is not supported by Cascade (text chat completions only: no tools, function "
             "calling, audio or token biasing); remove it");
}

const std::set<std::string>& HandledFields() {
  static const auto* fields = new std::set<std::string>{
      "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop",
      "seed", "logprobs", "top_logprobs", "response_format", "stream", "stream_options", "cascade",
      // Harmless: accepted and ignored (they do not change the answer).
      "user", "metadata", "store", "service_tier", "parallel_tool_calls",
      // Checked below: accepted only with their neutral value.
      "n", "logit_bias", "presence_penalty", "frequency_penalty", "modalities"};
  return *fields;
}

const std::set<std::string>& UnsupportedFields() {
  static const auto* fields = new std::set<std::string>{
      "tools",      "tool_choice",        "functions",        "function_call", "audio",
      "prediction", "web_search_options", "reasoning_effort", "top_k_logprobs"};
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

// Content is a string or an array of {"type": "text", "text": ...} parts.
absl::StatusOr<std::string> MessageContent(const json& content, const std::string& field) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return Bad(field, "must be a string or an array of text parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    const std::string part_field = absl::StrCat(field, "[", i, "]");
    if (!part.is_object()) return Bad(part_field, "must be an object {\"type\": \"text\", ...}");
    auto type = part.find("type");
    if (type == part.end() || *type != "text") {
      return Bad(absl::StrCat(part_field, ".type"),
                 "must be \"text\": Cascade serves text models (no images, audio or files)");
    }
    auto part_text = part.find("text");
    if (part_text == part.end() || !part_text->is_string()) {
      return Bad(absl::StrCat(part_field, ".text"), "must be a string");
    }
    text += part_text->get<std::string>();
  }
  return text;
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
      if (key == "tool_calls" || key == "function_call" || key == "audio") {
        if (value.is_null() || (value.is_array() && value.empty())) continue;
        return Unsupported(absl::StrCat(field, ".", key));
      }
      if (key != "role" && key != "content" && key != "name" && key != "refusal") {
        return Bad(absl::StrCat(field, ".", key), "is not a field of a chat message");
      }
    }
    auto role = message.find("role");
    if (role == message.end() || !role->is_string()) {
      return Bad(absl::StrCat(field, ".role"), "must be \"system\", \"user\" or \"assistant\"");
    }
    std::string role_name = role->get<std::string>();
    // "developer" is the newer name of "system" in OpenAI's API.
    if (role_name == "developer") role_name = "system";
    if (role_name != "system" && role_name != "user" && role_name != "assistant") {
      return Bad(absl::StrCat(field, ".role"),
                 absl::StrCat("is \"", role->get<std::string>(),
                              "\"; Cascade takes \"system\", \"developer\", \"user\" or "
                              "\"assistant\" (no tool messages)"));
    }
    auto content = message.find("content");
    if (content == message.end() || content->is_null()) {
      return Bad(absl::StrCat(field, ".content"), "is missing");
    }
    absl::StatusOr<std::string> text = MessageContent(*content, absl::StrCat(field, ".content"));
    if (!text.ok()) return text.status();
    v1::ChatMessage* out = request->add_messages();
    out->set_role(role_name);
    out->set_content(*std::move(text));
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
