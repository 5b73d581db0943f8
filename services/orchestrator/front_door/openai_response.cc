#include "services/orchestrator/front_door/openai_response.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/orchestrator/lib/answer_signals.h"

namespace cascade::orchestrator {
namespace {

using nlohmann::json;

json UsageJson(const cascade::v1::Usage& usage) {
  json out = {{"prompt_tokens", usage.prompt_tokens()},
              {"completion_tokens", usage.completion_tokens()},
              {"total_tokens", usage.prompt_tokens() + usage.completion_tokens()}};
  if (usage.reasoning_tokens() > 0) {
    out["completion_tokens_details"] = {{"reasoning_tokens", usage.reasoning_tokens()}};
  }
  return out;
}

// A token's UTF-8 bytes, as OpenAI gives them beside the text.
json BytesOf(const std::string& token) {
  json bytes = json::array();
  for (unsigned char c : token) bytes.push_back(static_cast<int>(c));
  return bytes;
}

// A JSON number; -infinity (an impossible token) as OpenAI's floor of -9999.
double FiniteLogprob(double logprob) { return std::isfinite(logprob) ? logprob : -9999.0; }

json ToolCallsJson(const cascade::v1::CascadeResponse& response, bool with_index) {
  json calls = json::array();
  for (int i = 0; i < response.tool_calls_size(); ++i) {
    const cascade::v1::ToolCall& call = response.tool_calls(i);
    json out = {{"id", call.id()},
                {"type", "function"},
                {"function", {{"name", call.name()}, {"arguments", call.arguments()}}}};
    if (with_index) out["index"] = i;
    calls.push_back(std::move(out));
  }
  return calls;
}

json ChunkBase(const CompletionIdentity& identity, bool include_usage) {
  json chunk = {{"id", identity.id},
                {"object", "chat.completion.chunk"},
                {"created", identity.created},
                {"model", identity.model},
                {"system_fingerprint", nullptr}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

}  // namespace

double PusdToUsd(int64_t pusd) { return static_cast<double>(pusd) / 1e12; }

std::string FinishReasonText(cascade::v1::FinishReason reason) {
  switch (reason) {
    case cascade::v1::FINISH_REASON_LENGTH:
      return "length";
    case cascade::v1::FINISH_REASON_TOOL_CALLS:
      return "tool_calls";
    default:
      return "stop";
  }
}

json LogprobsJson(const cascade::v1::CascadeResponse& response) {
  return LogprobsJson(response.logprobs());
}

json LogprobsJson(const TokenLogprobs& tokens) {
  if (tokens.empty()) return nullptr;
  json content = json::array();
  for (const cascade::v1::TokenLogprob& token : tokens) {
    json top = json::array();
    for (const cascade::v1::TopLogprob& alternative : token.top()) {
      top.push_back({{"token", alternative.token()},
                     {"logprob", FiniteLogprob(alternative.logprob())},
                     {"bytes", BytesOf(alternative.token())}});
    }
    content.push_back({{"token", token.token()},
                       {"logprob", FiniteLogprob(token.logprob())},
                       {"bytes", BytesOf(token.token())},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json CascadeTraceJson(const cascade::v1::CascadeResponse& response) {
  json steps = json::array();
  for (const cascade::v1::CascadeStep& step : response.steps()) {
    json out = {{"tier", step.tier()},
                {"model", step.model()},
                {"confidence", step.confidence()},
                {"method", step.method()},
                {"accepted", step.accepted()},
                {"latency_seconds", step.latency_seconds()},
                {"usage", UsageJson(step.usage())},
                {"cost_pusd", step.cost_pusd()},
                {"cost_usd", PusdToUsd(step.cost_pusd())}};
    if (!step.error().empty()) out["error"] = step.error();
    if (!step.skipped().empty()) out["skipped"] = step.skipped();
    if (step.has_signals()) out["signals"] = SignalsToJson(step.signals());
    steps.push_back(std::move(out));
  }
  json trace = {{"final_tier", response.final_tier()},
                {"model", response.model()},
                {"route", response.route()},
                {"cost_pusd", response.cost_pusd()},
                {"baseline_cost_pusd", response.baseline_cost_pusd()},
                {"savings_pusd", response.savings_pusd()},
                {"cost_usd", PusdToUsd(response.cost_pusd())},
                {"baseline_cost_usd", PusdToUsd(response.baseline_cost_pusd())},
                {"savings_usd", PusdToUsd(response.savings_pusd())},
                {"steps", std::move(steps)}};
  if (!response.stopped_reason().empty()) trace["stopped_reason"] = response.stopped_reason();
  if (response.has_cache()) {
    const cascade::v1::CacheHit& hit = response.cache();
    trace["cache"] = {{"kind", hit.kind()},
                      {"original_cost_pusd", hit.original_cost_pusd()},
                      {"age_seconds", hit.age_seconds()}};
    if (hit.kind() == "semantic") trace["cache"]["similarity"] = hit.similarity();
    if (hit.has_verification_score()) {
      trace["cache"]["verification_score"] = hit.verification_score();
      trace["cache"]["verification_cost_pusd"] = hit.verification_cost_pusd();
    }
  }
  return trace;
}

json ChatCompletionJson(const CompletionIdentity& identity,
                        const cascade::v1::CascadeResponse& response) {
  json message = {{"role", "assistant"}, {"content", response.answer()}, {"refusal", nullptr}};
  if (response.tool_calls_size() > 0) {
    message["tool_calls"] = ToolCallsJson(response, /*with_index=*/false);
    if (response.answer().empty()) message["content"] = nullptr;
  }
  json choice = {{"index", 0},
                 {"message", std::move(message)},
                 {"logprobs", LogprobsJson(response)},
                 {"finish_reason", FinishReasonText(response.finish_reason())}};
  return {{"id", identity.id},
          {"object", "chat.completion"},
          {"created", identity.created},
          {"model", identity.model},
          {"system_fingerprint", nullptr},
          {"choices", json::array({std::move(choice)})},
          {"usage", UsageJson(response.usage())},
          {"cascade", CascadeTraceJson(response)}};
}

json RoleChunkJson(const CompletionIdentity& identity, bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] = json::array({{{"index", 0},
                                   {"delta", {{"role", "assistant"}, {"content", ""}}},
                                   {"logprobs", nullptr},
                                   {"finish_reason", nullptr}}});
  return chunk;
}

json TextChunkJson(const CompletionIdentity& identity, const std::string& text,
                   const TokenLogprobs* logprobs, bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] = json::array({{{"index", 0},
                                   {"delta", {{"content", text}}},
                                   {"logprobs", logprobs ? LogprobsJson(*logprobs) : nullptr},
                                   {"finish_reason", nullptr}}});
  return chunk;
}

json ToolCallsChunkJson(const CompletionIdentity& identity,
                        const cascade::v1::CascadeResponse& response, bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] =
      json::array({{{"index", 0},
                    {"delta", {{"tool_calls", ToolCallsJson(response, /*with_index=*/true)}}},
                    {"logprobs", nullptr},
                    {"finish_reason", nullptr}}});
  return chunk;
}

json FinishChunkJson(const CompletionIdentity& identity,
                     const cascade::v1::CascadeResponse& response, const TokenLogprobs* logprobs,
                     bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] = json::array({{{"index", 0},
                                   {"delta", json::object()},
                                   {"logprobs", logprobs ? LogprobsJson(*logprobs) : nullptr},
                                   {"finish_reason", FinishReasonText(response.finish_reason())}}});
  chunk["cascade"] = CascadeTraceJson(response);
  return chunk;
}

json UsageChunkJson(const CompletionIdentity& identity,
                    const cascade::v1::CascadeResponse& response) {
  json chunk = ChunkBase(identity, /*include_usage=*/false);
  chunk["choices"] = json::array();
  chunk["usage"] = UsageJson(response.usage());
  return chunk;
}

std::string SseEvent(const json& payload) { return absl::StrCat("data: ", payload.dump(), "\n\n"); }

json ErrorJson(const std::string& message, const std::string& type, const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", nullptr},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

HttpError HttpErrorFromStatus(const absl::Status& status) {
  int http = 500;
  std::string type = "server_error";
  std::string code;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      http = 400;
      type = "invalid_request_error";
      break;
    case absl::StatusCode::kUnauthenticated:
      http = 401;
      type = "invalid_request_error";
      code = "invalid_api_key";
      break;
    case absl::StatusCode::kPermissionDenied:
      http = 403;
      type = "invalid_request_error";
      break;
    case absl::StatusCode::kNotFound:
      http = 404;
      type = "invalid_request_error";
      code = "model_not_found";
      break;
    case absl::StatusCode::kResourceExhausted:
      http = 429;
      type = "rate_limit_error";
      code = "rate_limit_exceeded";
      break;
    case absl::StatusCode::kCancelled:
      // nginx's "client closed request": nobody reads it, but logs and tests do.
      http = 499;
      type = "cancelled";
      break;
    case absl::StatusCode::kUnimplemented:
      http = 501;
      type = "not_implemented";
      break;
    case absl::StatusCode::kUnavailable:
      http = 503;
      type = "service_unavailable";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      http = 504;
      type = "timeout";
      break;
    default:
      break;
  }
  return {http, ErrorJson(std::string(status.message()), type, code)};
}

}  // namespace cascade::orchestrator
