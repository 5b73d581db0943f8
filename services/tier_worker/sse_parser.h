#pragma once

// An incremental parser of Server-Sent Events (the WHATWG "text/event-stream" format) as
// OpenAI-compatible APIs stream chat completions: bytes arrive in arbitrary pieces, lines
// end in LF, CRLF or CR, `data:` lines of one event are joined with LF, an empty line
// dispatches the event, lines starting with ':' are comments.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cascade::tier_worker {

struct SseEvent {
  std::string event;  // The `event:` field; empty means "message".
  std::string data;
};

class SseParser {
 public:
  // A line longer than this is an error rather than unbounded memory.
  explicit SseParser(size_t max_line_bytes = 8 << 20) : max_line_bytes_(max_line_bytes) {}

  // Appends every event completed by `bytes` to `events`. RESOURCE_EXHAUSTED when a line
  // exceeds the limit.
  absl::Status Feed(absl::string_view bytes, std::vector<SseEvent>* events);

  // True when bytes were received that do not yet form a complete event: a stream that
  // ends here was cut off mid-event.
  bool HasPartialEvent() const;

 private:
  void ProcessLine(absl::string_view line, std::vector<SseEvent>* events);

  size_t max_line_bytes_;
  std::string line_;
  bool last_was_cr_ = false;  // A CR ended the previous piece; a following LF is its pair.
  std::string event_;
  std::string data_;
  bool has_fields_ = false;
};

}  // namespace cascade::tier_worker
