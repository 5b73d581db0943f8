#include "services/tier_worker/request_validation.h"

#include "absl/strings/str_cat.h"
#include "common/validation/chat_messages.h"

namespace cascade::tier_worker {
namespace {

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

}  // namespace

absl::Status ValidateCompleteRequest(const cascade::v1::CompleteRequest& request,
                                     const RequestLimits& limits) {
  if (absl::Status messages = ValidateChatMessages(request.messages()); !messages.ok()) {
    return messages;
  }
  if (request.messages_size() > limits.max_messages) {
    return Invalid(absl::StrCat("messages: ", request.messages_size(),
                                " messages, over the limit of ", limits.max_messages,
                                " (limits.max_messages)"));
  }
  int64_t content_bytes = 0;
  for (int i = 0; i < request.messages_size(); ++i) {
    content_bytes += static_cast<int64_t>(request.messages(i).content().size());
    // Images count too (their text parts are the content, counted once).
    for (const auto& part : request.messages(i).parts()) {
      content_bytes += static_cast<int64_t>(part.image_url().size());
    }
  }
  if (content_bytes > limits.max_content_bytes) {
    return Invalid(absl::StrCat("messages: ", content_bytes,
                                " bytes of content, over the limit of ", limits.max_content_bytes,
                                " (limits.max_content_bytes)"));
  }
  return ValidateGenerationParams(request.params());
}

bool UsesTools(const cascade::v1::CompleteRequest& request) {
  if (request.params().tools_size() > 0) return true;
  for (const auto& message : request.messages()) {
    if (message.role() == "tool" || message.tool_calls_size() > 0) return true;
  }
  return false;
}

}  // namespace cascade::tier_worker
