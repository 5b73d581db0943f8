#pragma once

// The chat messages every service takes (common.proto's ChatMessage): the roles Cascade
// knows and well-formed UTF-8 content. Each service checks its own API's input with it at
// its boundary, once.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cascade {

// "system", "user", "assistant" or "tool".
bool IsChatRole(absl::string_view role);

// Images in one request, at most.
inline constexpr int kMaxImagesPerRequest = 64;
// An http(s) image URL's length, at most (a data: URL is bounded by the request's size).
inline constexpr size_t kMaxImageUrlBytes = 8192;

// INVALID_ARGUMENT naming the message and what to fix: no message at all, an unknown role,
// text that is not UTF-8, a tool message without the id of the call it answers, tool calls
// on a message that is not the assistant's or without an id or a name; parts on a message
// that is not the user's, a part that is neither text nor an image (or both), an image URL
// that is not http(s) or a base64 data:image URL, an unknown detail, too many images.
absl::Status ValidateChatMessages(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages);

// The content of the last "user" message: what an answer answers. Empty when none.
std::string LastUserMessage(const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages);

// Whether any message carries an image part.
bool HasImages(const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages);

}  // namespace cascade
