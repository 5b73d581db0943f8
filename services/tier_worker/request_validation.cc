#include "services/tier_worker/request_validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/json/json_nesting.h"

namespace cascade::tier_worker {
namespace {

constexpr int kMaxStops = 4;
constexpr size_t kMaxStopBytes = 64;
constexpr int kMaxTopLogprobs = 20;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    int length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::Status ValidateCompleteRequest(const cascade::v1::CompleteRequest& request,
                                     const RequestLimits& limits) {
  if (request.messages_size() == 0) return Invalid("messages: at least one message is required");
  if (request.messages_size() > limits.max_messages) {
    return Invalid(absl::StrCat("messages: ", request.messages_size(),
                                " messages, over the limit of ", limits.max_messages,
                                " (limits.max_messages)"));
  }
  int64_t content_bytes = 0;
  for (int i = 0; i < request.messages_size(); ++i) {
    const auto& message = request.messages(i);
    if (message.role() != "system" && message.role() != "user" && message.role() != "assistant") {
      return Invalid(
          absl::StrCat("messages[", i, "].role must be \"system\", \"user\" or \"assistant\""));
    }
    if (!IsValidUtf8(message.content())) {
      return Invalid(absl::StrCat("messages[", i, "].content is not valid UTF-8"));
    }
    content_bytes += static_cast<int64_t>(message.content().size());
  }
  if (content_bytes > limits.max_content_bytes) {
    return Invalid(absl::StrCat("messages: ", content_bytes,
                                " bytes of content, over the limit of ", limits.max_content_bytes,
                                " (limits.max_content_bytes)"));
  }
  const auto& params = request.params();
  if (params.max_tokens() < 0) return Invalid("params.max_tokens must be >= 0");
  if (!std::isfinite(params.temperature()) || params.temperature() < 0) {
    return Invalid("params.temperature must be finite and >= 0");
  }
  if (!(params.top_p() >= 0 && params.top_p() <= 1)) {
    return Invalid("params.top_p must be in [0, 1]");
  }
  if (params.top_k() < 0) return Invalid("params.top_k must be >= 0");
  if (params.stop_size() > kMaxStops) {
    return Invalid(absl::StrCat("params.stop: ", params.stop_size(),
                                " stop strings, over the limit of ", kMaxStops));
  }
  for (int i = 0; i < params.stop_size(); ++i) {
    if (params.stop(i).size() > kMaxStopBytes || !IsValidUtf8(params.stop(i))) {
      return Invalid(absl::StrCat("params.stop[", i, "] must be valid UTF-8 of at most ",
                                  kMaxStopBytes, " bytes"));
    }
  }
  if (params.top_logprobs() < 0 || params.top_logprobs() > kMaxTopLogprobs) {
    return Invalid(absl::StrCat("params.top_logprobs must be in [0, ", kMaxTopLogprobs, "]"));
  }
  const std::string& schema = params.response_format().json_schema();
  if (int depth = JsonNestingDepth(schema); depth > kMaxJsonNesting) {
    return Invalid(absl::StrCat("params.response_format.json_schema nests ", depth,
                                " levels deep; at most ", kMaxJsonNesting, " are accepted"));
  }
  return absl::OkStatus();
}

}  // namespace cascade::tier_worker
