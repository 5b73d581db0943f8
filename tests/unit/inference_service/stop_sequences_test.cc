#include "services/inference/stop_sequences.h"

#include <gtest/gtest.h>

namespace cascade::inference {
namespace {

TEST(StopSequencesTest, WithoutStopsEverythingPassesAtOnce) {
  StopSequences stops({});
  auto step = stops.Push("hello");
  EXPECT_EQ(step.emit, "hello");
  EXPECT_FALSE(step.stopped);
  EXPECT_EQ(stops.Flush(), "");
}

TEST(StopSequencesTest, StopStringAndWhatFollowsAreNeverShown) {
  StopSequences stops({"END"});
  std::string shown;
  shown += stops.Push("abc E").emit;  // "E" may begin the stop string: held back.
  EXPECT_EQ(shown, "abc ");
  auto step = stops.Push("ND tail");
  shown += step.emit;
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(shown, "abc ");
}

TEST(StopSequencesTest, HeldTextIsReleasedWhenItTurnsOutNotToBeAStop) {
  StopSequences stops({"END"});
  EXPECT_EQ(stops.Push("E").emit, "");
  auto step = stops.Push("X");
  EXPECT_EQ(step.emit, "EX");
  EXPECT_FALSE(step.stopped);
  EXPECT_EQ(stops.Push("EN").emit, "");
  EXPECT_EQ(stops.Flush(), "EN");  // The end of generation releases the rest.
}

TEST(StopSequencesTest, EarliestOfSeveralStopsWins) {
  StopSequences stops({"cd", "b"});
  auto step = stops.Push("abcd");
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(step.emit, "a");
}

TEST(StopSequencesTest, NeverSplitsAUtf8Character) {
  // "é" is C3 A9; a stop beginning with A9 must not make us emit a lone C3.
  StopSequences stops({"\xA9z"});
  auto step = stops.Push("x\xC3\xA9");
  EXPECT_EQ(step.emit, "x");
  EXPECT_EQ(stops.Flush(), "\xC3\xA9");
}

}  // namespace
}  // namespace cascade::inference
