#include "services/orchestrator/front_door/openai_response.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "services/orchestrator/lib/answer_signals.h"

namespace cascade::orchestrator {
namespace {

using nlohmann::json;

json UsageJson(const cascade::v1::Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens()},
          {"completion_tokens", usage.completion_tokens()},
          {"total_tokens", usage.prompt_tokens() + usage.completion_tokens()}};
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
  return reason == cascade::v1::FINISH_REASON_LENGTH ? "length" : "stop";
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
  return trace;
}

json ChatCompletionJson(const CompletionIdentity& identity,
                        const cascade::v1::CascadeResponse& response) {
  json message = {{"role", "assistant"}, {"content", response.answer()}, {"refusal", nullptr}};
  json choice = {{"index", 0},
                 {"message", std::move(message)},
                 {"logprobs", nullptr},
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
                   bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] = json::array({{{"index", 0},
                                   {"delta", {{"content", text}}},
                                   {"logprobs", nullptr},
                                   {"finish_reason", nullptr}}});
  return chunk;
}

json FinishChunkJson(const CompletionIdentity& identity,
                     const cascade::v1::CascadeResponse& response, bool include_usage) {
  json chunk = ChunkBase(identity, include_usage);
  chunk["choices"] = json::array({{{"index", 0},
                                   {"delta", json::object()},
                                   {"logprobs", nullptr},
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
