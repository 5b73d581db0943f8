#include "services/tier_worker/sse_parser.h"

#include "absl/strings/str_cat.h"

namespace cascade::tier_worker {

absl::Status SseParser::Feed(absl::string_view bytes, std::vector<SseEvent>* events) {
  for (char c : bytes) {
    if (last_was_cr_) {
      last_was_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      last_was_cr_ = c == '\r';
      ProcessLine(line_, events);
      line_.clear();
      continue;
    }
    line_.push_back(c);
    if (line_.size() > max_line_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("event stream line longer than ", max_line_bytes_, " bytes"));
    }
  }
  return absl::OkStatus();
}

bool SseParser::HasPartialEvent() const { return !line_.empty() || has_fields_; }

void SseParser::ProcessLine(absl::string_view line, std::vector<SseEvent>* events) {
  if (line.empty()) {
    if (!data_.empty()) {
      data_.pop_back();  // The LF after the last data line.
      events->push_back(SseEvent{std::move(event_), std::move(data_)});
    }
    event_.clear();
    data_.clear();
    has_fields_ = false;
    return;
  }
  if (line.front() == ':') return;  // Comment (keep-alive).
  has_fields_ = true;
  absl::string_view field = line;
  absl::string_view value;
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    absl::StrAppend(&data_, value, "\n");
  } else if (field == "event") {
    event_ = std::string(value);
  }
  // `id` and `retry` matter to browsers reconnecting, not to a single completion.
}

}  // namespace cascade::tier_worker
