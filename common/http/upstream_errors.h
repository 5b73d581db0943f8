#pragma once

// How an OpenAI-compatible upstream's HTTP failures become our gRPC codes, which of them
// are worth another attempt, and how long the upstream asked us to wait.

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http/retry_policy.h"

namespace cascade::http {

// 400/413/422 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND,
// 402/429 RESOURCE_EXHAUSTED, 408/5xx UNAVAILABLE, other 4xx FAILED_PRECONDITION.
absl::StatusCode StatusCodeForHttp(int http_status);

// 429 -> kRateLimited; 408 and 5xx but 501 -> kServerError; anything else is not retried
// (a wrong key or a bad request fails the same way every time).
std::optional<RetryReason> RetryReasonForHttp(int http_status);

// The wait an upstream asked for: `retry-after-ms` (OpenAI), else `Retry-After` as
// seconds or an HTTP date. `headers` have lower-case names.
std::optional<absl::Duration> ParseRetryAfter(const std::map<std::string, std::string>& headers,
                                              absl::Time now);

// The human-readable part of an error body: error.message, error (a string), message or
// detail; else the body itself, shortened to `max_bytes`.
std::string UpstreamErrorMessage(absl::string_view body, size_t max_bytes = 1024);

// `text` with every occurrence of `secret` replaced, so an upstream echoing our API key
// (some do, in 401 messages) cannot leak it into logs or statuses.
std::string RedactSecret(absl::string_view text, absl::string_view secret);

}  // namespace cascade::http
