#pragma once

// The OpenAI chat completions wire format, both ways: our CompleteRequest -> the JSON body
// of POST /chat/completions, and the JSON answer (whole, or streamed as SSE chunks) -> our
// CompleteResponse, with token logprobs normalised whatever the upstream's shape.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/tier.pb.h"

namespace cascade::tier_worker {

struct ChatRequestOptions {
  std::string model;
  bool stream = false;
  // False for upstreams without logprobs: they are then never asked for.
  bool upstream_supports_logprobs = true;
  // A reasoning model (api_style "reasoning"): max_completion_tokens instead of max_tokens,
  // no temperature or top_p (such models refuse them), reasoning_effort passed.
  bool reasoning = false;
};

// INVALID_ARGUMENT when the request cannot be expressed (a json_schema that is not JSON).
absl::StatusOr<std::string> BuildChatCompletionBody(const cascade::v1::CompleteRequest& request,
                                                    const ChatRequestOptions& options);

// "stop" -> STOP, "length" -> LENGTH, "tool_calls" -> TOOL_CALLS, ...; unknown ->
// UNSPECIFIED.
cascade::v1::FinishReason ParseFinishReason(absl::string_view reason);

// Appends the tokens of a choice's `logprobs` object. Understands the chat shape
// {"content": [{"token", "logprob", "top_logprobs": [{"token", "logprob"}]}]} and the
// legacy completions shape {"tokens": [...], "token_logprobs": [...], "top_logprobs":
// [{"tok": lp}]}; a token id is kept where the upstream gives one ("id"), else -1; a
// null logprob (an impossible token) becomes -infinity.
void AppendNormalizedLogprobs(const nlohmann::json& logprobs,
                              google::protobuf::RepeatedPtrField<cascade::v1::TokenLogprob>* out);

// A whole (non-streamed) answer. INTERNAL, saying what is wrong, when it is not a chat
// completion.
absl::StatusOr<cascade::v1::CompleteResponse> ParseChatCompletion(absl::string_view body);

// Builds the answer from the data payloads of a streamed completion, one SSE event at a
// time, handing back what is new in each.
class ChatStreamAssembler {
 public:
  // The new text and logprobs of `data` (empty when it carries none); INTERNAL when it is
  // not a chunk. "[DONE]" ends the stream.
  absl::StatusOr<cascade::v1::CompleteChunk> AddEvent(absl::string_view data);

  bool saw_done() const { return saw_done_; }
  bool saw_finish_reason() const { return saw_finish_reason_; }
  bool saw_usage() const { return saw_usage_; }
  // Content pieces received: the completion's length in tokens when the upstream streams
  // one token a chunk (they do) and reports no usage.
  int64_t content_chunks() const { return content_chunks_; }

  // Everything received so far; usage as the upstream reported it (zero if it did not).
  // Tool calls are assembled from their deltas (id and name first, then the arguments in
  // pieces), by index.
  const cascade::v1::CompleteResponse& response() const { return response_; }

 private:
  absl::Status AddToolCallDeltas(const nlohmann::json& deltas);

  cascade::v1::CompleteResponse response_;
  bool saw_done_ = false;
  bool saw_finish_reason_ = false;
  bool saw_usage_ = false;
  int64_t content_chunks_ = 0;
};

}  // namespace cascade::tier_worker
