#include "common/validation/chat_messages.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/utf8.h"

namespace cascade {

bool IsChatRole(absl::string_view role) {
  return role == "system" || role == "user" || role == "assistant" || role == "tool";
}

namespace {

absl::Status ValidateImageUrl(const std::string& url, const std::string& field) {
  if (absl::StartsWith(url, "data:")) {
    if (!absl::StartsWith(url, "data:image/") || !absl::StrContains(url, ";base64,")) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be a data:image/<type>;base64,<data> URL or an http(s) URL"));
    }
  } else if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " must be an https:// or http:// URL, or a data:image/<type>;base64, URL"));
  } else if (url.size() > kMaxImageUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", kMaxImageUrlBytes,
                                                   " bytes; send the image as a data: URL"));
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " holds a space, a control or a non-ASCII character"));
    }
  }
  return absl::OkStatus();
}

// A user message's parts, counting its images into `images`.
absl::Status ValidateParts(const v1::ChatMessage& message, int index, int* images) {
  if (message.parts_size() > 0 && message.role() != "user") {
    return absl::InvalidArgumentError(
        absl::StrCat("messages[", index, "].parts: only user messages carry images"));
  }
  for (int p = 0; p < message.parts_size(); ++p) {
    const v1::ContentPart& part = message.parts(p);
    const std::string field = absl::StrCat("messages[", index, "].parts[", p, "]");
    if (!part.text().empty() && !part.image_url().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, " is text or an image, not both"));
    }
    if (!IsValidUtf8(part.text())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".text is not valid UTF-8"));
    }
    if (part.image_url().empty()) {
      if (!part.image_detail().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".image_detail is only for an image part"));
      }
      continue;
    }
    if (++*images > kMaxImagesPerRequest) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages: more than ", kMaxImagesPerRequest, " images in one request"));
    }
    absl::Status url = ValidateImageUrl(part.image_url(), absl::StrCat(field, ".image_url"));
    if (!url.ok()) return url;
    const std::string& detail = part.image_detail();
    if (!detail.empty() && detail != "auto" && detail != "low" && detail != "high") {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".image_detail must be \"auto\", \"low\" or \"high\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string LastUserMessage(const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  for (int i = messages.size() - 1; i >= 0; --i) {
    if (messages.Get(i).role() == "user") return messages.Get(i).content();
  }
  return "";
}

bool HasImages(const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  for (const v1::ChatMessage& message : messages) {
    for (const v1::ContentPart& part : message.parts()) {
      if (!part.image_url().empty()) return true;
    }
  }
  return false;
}

absl::Status ValidateChatMessages(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  if (messages.empty()) {
    return absl::InvalidArgumentError("messages: at least one message is required");
  }
  int images = 0;
  for (int i = 0; i < messages.size(); ++i) {
    const v1::ChatMessage& message = messages.Get(i);
    if (!IsChatRole(message.role())) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "].role '", message.role(),
                                                     "' must be \"system\", \"user\", "
                                                     "\"assistant\" or \"tool\""));
    }
    if (!IsValidUtf8(message.content())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].content is not valid UTF-8"));
    }
    if (message.role() == "tool" && message.tool_call_id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "messages[", i, "].tool_call_id is missing: a tool message answers one tool call"));
    }
    if (message.role() != "tool" && !message.tool_call_id().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_call_id is only for tool messages"));
    }
    if (!IsValidUtf8(message.tool_call_id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_call_id is not valid UTF-8"));
    }
    absl::Status parts = ValidateParts(message, i, &images);
    if (!parts.ok()) return parts;
    if (message.tool_calls_size() > 0 && message.role() != "assistant") {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_calls: only assistant messages call tools"));
    }
    for (int c = 0; c < message.tool_calls_size(); ++c) {
      const v1::ToolCall& call = message.tool_calls(c);
      const std::string field = absl::StrCat("messages[", i, "].tool_calls[", c, "]");
      if (call.id().empty() || call.name().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(field, " needs an id and a name"));
      }
      if (!IsValidUtf8(call.id()) || !IsValidUtf8(call.name()) || !IsValidUtf8(call.arguments())) {
        return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade
