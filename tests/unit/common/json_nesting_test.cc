#include "common/json/json_nesting.h"

#include <string>

#include "gtest/gtest.h"

namespace cascade {
namespace {

TEST(JsonNestingTest, CountsArraysAndObjects) {
  EXPECT_EQ(JsonNestingDepth("1"), 0);
  EXPECT_EQ(JsonNestingDepth("{}"), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": []}], "c": {}})"), 4);
  EXPECT_EQ(JsonNestingDepth("[[]] [[[]]]"), 3);
}

TEST(JsonNestingTest, BracketsInsideStringsDoNotCount) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": "[[[{{{"})"), 1);
  // An escaped quote does not end the string; the brackets after it are still inside.
  EXPECT_EQ(JsonNestingDepth(R"(["\"[[[", "\\"])"), 1);
}

TEST(JsonNestingTest, MalformedTextStillGetsAnAnswer) {
  EXPECT_EQ(JsonNestingDepth("]]]]["), 1);
  EXPECT_EQ(JsonNestingDepth(std::string(100000, '[')), 100000);
  EXPECT_EQ(JsonNestingDepth("\"unterminated [[["), 0);
  EXPECT_EQ(JsonNestingDepth("[\"ends in a backslash\\"), 1);
}

}  // namespace
}  // namespace cascade
