#include "common/http/upstream_errors.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"

namespace cascade::http {
namespace {

// Strings cut at `max_bytes` without splitting a UTF-8 character (the message crosses
// gRPC, whose status messages must stay printable).
std::string Shorten(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

}  // namespace

absl::StatusCode StatusCodeForHttp(int http_status) {
  switch (http_status) {
    case 400:
    case 413:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 402:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 408:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_status >= 500) return absl::StatusCode::kUnavailable;
  if (http_status >= 400) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

std::optional<RetryReason> RetryReasonForHttp(int http_status) {
  if (http_status == 429) return RetryReason::kRateLimited;
  if (http_status == 408) return RetryReason::kServerError;
  // 501 Not Implemented will not become implemented by asking again.
  if (http_status >= 500 && http_status != 501) return RetryReason::kServerError;
  return std::nullopt;
}

std::optional<absl::Duration> ParseRetryAfter(const std::map<std::string, std::string>& headers,
                                              absl::Time now) {
  auto millis = headers.find("retry-after-ms");
  if (millis != headers.end()) {
    double value = 0;
    if (absl::SimpleAtod(millis->second, &value) && value >= 0) {
      return absl::Milliseconds(value);
    }
  }
  auto after = headers.find("retry-after");
  if (after == headers.end()) return std::nullopt;
  absl::string_view text = absl::StripAsciiWhitespace(after->second);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string error;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(text), absl::UTCTimeZone(), &when,
                      &error)) {
    return std::max(absl::ZeroDuration(), when - now);
  }
  return std::nullopt;
}

std::string UpstreamErrorMessage(absl::string_view body, size_t max_bytes) {
  nlohmann::json parsed = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto error = parsed.find("error");
    if (error != parsed.end()) {
      if (error->is_string()) return Shorten(error->get<std::string>(), max_bytes);
      if (error->is_object()) {
        auto message = error->find("message");
        if (message != error->end() && message->is_string()) {
          return Shorten(message->get<std::string>(), max_bytes);
        }
      }
    }
    for (const char* key : {"message", "detail"}) {
      auto it = parsed.find(key);
      if (it != parsed.end() && it->is_string()) return Shorten(it->get<std::string>(), max_bytes);
    }
  }
  std::string text(absl::StripAsciiWhitespace(body));
  if (text.empty()) return "(empty body)";
  return Shorten(text, max_bytes);
}

std::string RedactSecret(absl::string_view text, absl::string_view secret) {
  if (secret.empty()) return std::string(text);
  return absl::StrReplaceAll(text, {{secret, "[redacted]"}});
}

}  // namespace cascade::http
