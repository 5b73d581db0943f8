// The one UTF-8 check every service boundary uses, and the stream that reassembles
// characters split across tokens.

#include "common/text/utf8.h"

#include <gtest/gtest.h>

namespace cascade {
namespace {

TEST(Utf8, ValidatesSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x8E\xAD"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x96"));          // cut short
}

TEST(Utf8, StreamHoldsSplitCharactersBack) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("a\xF0"), "a");
  EXPECT_EQ(stream.Push("\x9F"), "");
  EXPECT_EQ(stream.Push("\x8E"), "");
  EXPECT_EQ(stream.Push("\xAD!"), "\xF0\x9F\x8E\xAD!");
  EXPECT_EQ(stream.Flush(), "");
}

TEST(Utf8, StreamReplacesInvalidBytes) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("x\xFFy"), "x\xEF\xBF\xBDy");
  // A character broken off by another one: one U+FFFD for the broken part.
  EXPECT_EQ(stream.Push("\xE2\x96"), "");
  EXPECT_EQ(stream.Push("z"), "\xEF\xBF\xBDz");
  EXPECT_EQ(stream.Push("\xE2"), "");
  EXPECT_EQ(stream.Flush(), "\xEF\xBF\xBD");  // unfinished at the end
}

TEST(Utf8, AcceptsEveryLengthAtItsBounds) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("\x7F"));
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));           // U+0080
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));       // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\x80"));      // overlong U+0000
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a continuation byte alone
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));  // no such lead byte
}

}  // namespace
}  // namespace cascade
