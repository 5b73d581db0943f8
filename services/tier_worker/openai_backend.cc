#include "services/tier_worker/openai_backend.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/http/upstream_errors.h"
#include "common/log/logger.h"
#include "services/tier_worker/openai_protocol.h"
#include "services/tier_worker/sse_parser.h"

namespace cascade::tier_worker {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;

// What one HTTP exchange left behind.
struct OpenAIBackend::Attempt {
  absl::Status status;
  CompleteResponse response;
  // Set when the failure may be retried (and nothing was passed on).
  std::optional<http::RetryableFailure> retryable;
  // Whether the sink received anything: from then on there is no retrying.
  bool delivered = false;
  // Streaming state.
  SseParser parser;
  ChatStreamAssembler assembler;
  absl::Status stream_error;
  bool sink_refused = false;
};

namespace {

std::string ChatCompletionsUrl(absl::string_view base_url) {
  absl::string_view base = base_url;
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  return absl::StrCat(base, "/chat/completions");
}

// Prompt tokens guessed from the prompt's bytes, for a stream that reported no usage.
int64_t EstimatePromptTokens(const CompleteRequest& request) {
  int64_t bytes = 0;
  for (const auto& message : request.messages()) bytes += message.content().size();
  return (bytes + 3) / 4;
}

}  // namespace

OpenAIBackend::OpenAIBackend(OpenAIBackendOptions options)
    : options_(std::move(options)),
      info_{"openai",
            options_.model,
            options_.supports_logprobs,
            options_.supports_tools,
            options_.reasoning,
            options_.supports_images},
      url_(ChatCompletionsUrl(options_.base_url)),
      retry_policy_(options_.retry, options_.random),
      http_(options_.http) {}

absl::Status OpenAIBackend::Redacted(const absl::Status& status) const {
  if (status.ok() || options_.api_key.empty()) return status;
  return absl::Status(status.code(), http::RedactSecret(status.message(), options_.api_key));
}

absl::StatusOr<CompleteResponse> OpenAIBackend::Complete(const CompleteRequest& request,
                                                         const CallContext& context,
                                                         DeltaSink* sink) {
  auto body = BuildChatCompletionBody(
      request, {options_.model, sink != nullptr, options_.supports_logprobs, options_.reasoning});
  if (!body.ok()) return body.status();
  for (int retries = 0;; ++retries) {
    Attempt attempt = TryOnce(*body, request, context, sink);
    if (attempt.status.ok()) return std::move(attempt.response);
    absl::Status failure = Redacted(attempt.status);
    if (!attempt.retryable.has_value() || attempt.delivered) return failure;
    auto backoff = retry_policy_.NextBackoff(retries, *attempt.retryable, options_.clock->Now(),
                                             context.deadline);
    if (!backoff.has_value()) {
      if (retries == 0) return failure;
      return absl::Status(failure.code(),
                          absl::StrCat(failure.message(), " (after ", retries, " retries)"));
    }
    if (context.on_retry) context.on_retry(attempt.retryable->reason, *backoff, failure);
    if (!options_.clock->SleepFor(*backoff, context.cancel)) {
      return absl::CancelledError("the caller cancelled while waiting to retry the upstream");
    }
  }
}

OpenAIBackend::Attempt OpenAIBackend::TryOnce(const std::string& body,
                                              const CompleteRequest& request,
                                              const CallContext& context, DeltaSink* sink) {
  Attempt attempt;
  http::HttpClientRequest http;
  http.url = url_;
  http.headers = {"Content-Type: application/json",
                  sink != nullptr ? "Accept: text/event-stream" : "Accept: application/json",
                  absl::StrCat("X-Request-Id: ", context.request_id)};
  if (!options_.api_key.empty()) {
    http.headers.push_back(absl::StrCat("Authorization: Bearer ", options_.api_key));
  }
  http.body = body;
  http.deadline = context.deadline;
  http.connect_timeout = options_.connect_timeout;
  http.cancel = context.cancel;
  if (sink != nullptr) {
    http.on_body = [&attempt, sink](absl::string_view piece) {
      std::vector<SseEvent> events;
      absl::Status fed = attempt.parser.Feed(piece, &events);
      if (!fed.ok()) {
        attempt.stream_error = absl::InternalError(
            absl::StrCat("upstream answer is not a valid event stream: ", fed.message()));
        return false;
      }
      for (const SseEvent& event : events) {
        auto delta = attempt.assembler.AddEvent(event.data);
        if (!delta.ok()) {
          attempt.stream_error = delta.status();
          return false;
        }
        if (delta->text().empty() && delta->logprobs_size() == 0) continue;
        attempt.delivered = true;
        if (!sink->OnDelta(*delta)) {
          attempt.sink_refused = true;
          return false;
        }
      }
      return true;
    };
  }

  http::HttpResult result = http_.Post(http);
  switch (result.error) {
    case http::HttpTransportError::kNone:
      break;
    case http::HttpTransportError::kConnect:
      attempt.status = absl::UnavailableError(
          absl::StrCat("cannot connect to the upstream at ", url_, ": ", result.error_message));
      attempt.retryable = http::RetryableFailure{http::RetryReason::kConnectError, std::nullopt};
      return attempt;
    case http::HttpTransportError::kBrokenResponse:
      attempt.status = absl::UnavailableError(absl::StrCat("the upstream connection broke",
                                                           attempt.delivered ? " mid-stream" : "",
                                                           ": ", result.error_message));
      attempt.retryable = http::RetryableFailure{http::RetryReason::kServerError, std::nullopt};
      return attempt;
    case http::HttpTransportError::kTimeout:
      attempt.status = absl::DeadlineExceededError(
          absl::StrCat("the upstream did not answer before the deadline: ", result.error_message));
      return attempt;
    case http::HttpTransportError::kCancelled:
      attempt.status = absl::CancelledError("the caller cancelled; the upstream call was aborted");
      return attempt;
    case http::HttpTransportError::kAbortedByReader:
      attempt.status = attempt.sink_refused
                           ? absl::CancelledError("the caller went away mid-stream")
                           : attempt.stream_error;
      return attempt;
    case http::HttpTransportError::kOther:
      attempt.status =
          absl::UnavailableError(absl::StrCat("upstream call failed: ", result.error_message));
      return attempt;
  }

  if (result.status < 200 || result.status >= 300) {
    attempt.status = absl::Status(http::StatusCodeForHttp(result.status),
                                  absl::StrCat("upstream HTTP ", result.status, ": ",
                                               http::UpstreamErrorMessage(result.body)));
    auto reason = http::RetryReasonForHttp(result.status);
    if (reason.has_value()) {
      attempt.retryable = http::RetryableFailure{
          *reason, http::ParseRetryAfter(result.headers, options_.clock->Now())};
    }
    return attempt;
  }
  if (sink == nullptr) {
    auto parsed = ParseChatCompletion(result.body);
    if (!parsed.ok()) {
      attempt.status = parsed.status();
    } else {
      attempt.response = *std::move(parsed);
    }
    return attempt;
  }
  FinishStream(request, context, &attempt);
  return attempt;
}

void OpenAIBackend::FinishStream(const CompleteRequest& request, const CallContext& context,
                                 Attempt* attempt) {
  // The last event may lack its blank line when the server closes right after it.
  std::vector<SseEvent> events;
  (void)attempt->parser.Feed("\n\n", &events);
  for (const SseEvent& event : events) {
    auto delta = attempt->assembler.AddEvent(event.data);
    if (!delta.ok()) {
      attempt->status = delta.status();
      return;
    }
  }
  const ChatStreamAssembler& assembler = attempt->assembler;
  if (!assembler.saw_done() && !assembler.saw_finish_reason()) {
    attempt->status = absl::UnavailableError(
        absl::StrCat("the upstream's stream ended before the answer did (after ",
                     assembler.content_chunks(), " pieces of text)"));
    attempt->retryable = http::RetryableFailure{http::RetryReason::kServerError, std::nullopt};
    return;
  }
  attempt->response = assembler.response();
  if (!assembler.saw_usage()) {
    // Still billed: an upstream without include_usage support charges all the same.
    int64_t completion = attempt->response.logprobs_size() > 0 ? attempt->response.logprobs_size()
                                                               : assembler.content_chunks();
    attempt->response.mutable_usage()->set_completion_tokens(completion);
    attempt->response.mutable_usage()->set_prompt_tokens(EstimatePromptTokens(request));
    attempt->response.set_usage_estimated(true);
    LogWarn("upstream_usage_missing", {{"request_id", context.request_id},
                                       {"model", options_.model},
                                       {"estimated_completion_tokens", completion}});
  }
}

}  // namespace cascade::tier_worker
