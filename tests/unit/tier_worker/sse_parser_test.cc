#include "services/tier_worker/sse_parser.h"

#include <gtest/gtest.h>

namespace cascade::tier_worker {
namespace {

std::vector<SseEvent> FeedAll(SseParser& parser, const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  for (const auto& piece : pieces) EXPECT_TRUE(parser.Feed(piece, &events).ok());
  return events;
}

TEST(SseParserTest, EventsSplitAnywhereAreReassembled) {
  std::string stream = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    auto events = FeedAll(parser, {stream.substr(0, cut), stream.substr(cut)});
    ASSERT_EQ(events.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].data, "{\"b\":2}");
    EXPECT_EQ(events[2].data, "[DONE]");
    EXPECT_FALSE(parser.HasPartialEvent());
  }
}

TEST(SseParserTest, CrLfAndCrLineEndingsCommentsAndFields) {
  SseParser parser;
  auto events = FeedAll(parser, {": keep-alive\r\n\r\nevent: delta\r\ndata: one\r",
                                 "\ndata:two\r\rid: 7\nretry: 10\ndata\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "delta");
  EXPECT_EQ(events[0].data, "one\ntwo");
  // A bare "data" line is an empty data line: the event is dispatched with empty data,
  // and the event type does not carry over.
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "");
}

TEST(SseParserTest, PartialEventIsReported) {
  SseParser parser;
  auto events = FeedAll(parser, {"data: {\"a\":1}\n\ndata: {\"b\""});
  EXPECT_EQ(events.size(), 1u);
  EXPECT_TRUE(parser.HasPartialEvent());
  SseParser complete_line;
  FeedAll(complete_line, {"data: x\n"});
  EXPECT_TRUE(complete_line.HasPartialEvent());  // No blank line yet.
}

TEST(SseParserTest, OverlongLineIsAnError) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_EQ(parser.Feed(std::string(40, 'x'), &events).code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace cascade::tier_worker
