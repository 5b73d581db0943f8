// Fuzzes the SSE parser (services/tier_worker/sse_parser): the same bytes fed whole and in
// fuzzer-chosen pieces must give the same events, and no event holds a CR or a line break
// other than the LF joining data lines.
#include "services/tier_worker/sse_parser.h"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

using cascade::tier_worker::SseEvent;
using cascade::tier_worker::SseParser;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the line limit: below 16 a small one, so the limit is reached.
  const size_t max_line = data[0] < 16 ? 1 + data[0] * 8 : size_t{8} << 20;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  SseParser whole(max_line);
  std::vector<SseEvent> whole_events;
  const bool whole_ok = whole.Feed(bytes, &whole_events).ok();

  // The pieces: lengths taken from the bytes themselves, so the split varies with them.
  SseParser pieces(max_line);
  std::vector<SseEvent> piece_events;
  bool pieces_ok = true;
  for (size_t at = 0; at < bytes.size() && pieces_ok;) {
    const size_t length = 1 + static_cast<uint8_t>(bytes[at]) % 7;
    pieces_ok = pieces.Feed(absl::string_view(bytes).substr(at, length), &piece_events).ok();
    at += length;
  }

  Check(whole_ok == pieces_ok);
  if (!whole_ok) return 0;
  Check(whole.HasPartialEvent() == pieces.HasPartialEvent());
  Check(whole_events.size() == piece_events.size());
  for (size_t i = 0; i < whole_events.size(); ++i) {
    Check(whole_events[i].event == piece_events[i].event);
    Check(whole_events[i].data == piece_events[i].data);
    Check(whole_events[i].data.find('\r') == std::string::npos);
    Check(whole_events[i].event.find_first_of("\r\n") == std::string::npos);
  }
  return 0;
}
