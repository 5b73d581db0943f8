#pragma once

// Our CascadeResponse -> the OpenAI chat completion JSON (whole, or SSE chunks), with the
// cascade trace in an extension object `cascade`; and absl::Status -> an OpenAI-shaped
// error with its HTTP status.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "cascade/v1/cascade.pb.h"

namespace cascade::orchestrator {

// What every object of one completion shares.
struct CompletionIdentity {
  std::string id;       // "chatcmpl-<request id>"
  int64_t created = 0;  // Unix seconds.
  std::string model;    // The policy, as the client named it.
};

// USD as a JSON number, from integer pico-USD (display only; the exact value rides as
// the *_pusd integers beside it).
double PusdToUsd(int64_t pusd);

// "stop", "length" or "tool_calls".
std::string FinishReasonText(cascade::v1::FinishReason reason);

using TokenLogprobs = google::protobuf::RepeatedPtrField<cascade::v1::TokenLogprob>;

// Token logprobs in OpenAI's shape ({"content": [{"token", "logprob", "bytes",
// "top_logprobs"}]}), null when there are none.
nlohmann::json LogprobsJson(const TokenLogprobs& tokens);
nlohmann::json LogprobsJson(const cascade::v1::CascadeResponse& response);

// The extension object: final tier, model, route, cost, baseline, savings (pico-USD and
// USD), stopped_reason and every step.
nlohmann::json CascadeTraceJson(const cascade::v1::CascadeResponse& response);

// A `chat.completion` object.
nlohmann::json ChatCompletionJson(const CompletionIdentity& identity,
                                  const cascade::v1::CascadeResponse& response);

// `chat.completion.chunk` objects of a stream: the first (role), one per text delta with
// its tokens' logprobs (`logprobs` null: none, or not asked for), the tool calls (each
// whole, with its index, in one chunk: the cascade knows a call is valid only once it is
// complete), the last with the finish reason, the logprobs no delta carried, and the
// trace, and the usage chunk (no choices). When `include_usage`, every chunk but the usage
// chunk carries "usage": null, as OpenAI's do.
nlohmann::json RoleChunkJson(const CompletionIdentity& identity, bool include_usage);
nlohmann::json TextChunkJson(const CompletionIdentity& identity, const std::string& text,
                             const TokenLogprobs* logprobs, bool include_usage);
nlohmann::json ToolCallsChunkJson(const CompletionIdentity& identity,
                                  const cascade::v1::CascadeResponse& response, bool include_usage);
nlohmann::json FinishChunkJson(const CompletionIdentity& identity,
                               const cascade::v1::CascadeResponse& response,
                               const TokenLogprobs* logprobs, bool include_usage);
nlohmann::json UsageChunkJson(const CompletionIdentity& identity,
                              const cascade::v1::CascadeResponse& response);

// One SSE event: "data: <json>\n\n".
std::string SseEvent(const nlohmann::json& payload);
inline constexpr char kSseDone[] = "data: [DONE]\n\n";

struct HttpError {
  int status = 500;
  nlohmann::json body;  // {"error": {"message", "type", "param", "code"}}
};

// The HTTP status and OpenAI error type of a status: INVALID_ARGUMENT 400, UNAUTHENTICATED
// 401, PERMISSION_DENIED 403, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, CANCELLED 499,
// UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, others 500.
HttpError HttpErrorFromStatus(const absl::Status& status);
// An OpenAI-shaped error body.
nlohmann::json ErrorJson(const std::string& message, const std::string& type,
                         const std::string& code);

}  // namespace cascade::orchestrator
