#include "services/router/lib/query_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade::router {
namespace {

using ::testing::HasSubstr;

TEST(QueryValidationTest, AcceptsUtf8Text) {
  EXPECT_TRUE(ValidateQuery("plain ascii", 100).ok());
  EXPECT_TRUE(ValidateQuery("Gr\xc3\xbc\xc3\x9f Gott \xe2\x82\xac \xf0\x9f\x98\x80", 100).ok());
}

TEST(QueryValidationTest, RejectsEmpty) {
  absl::Status status = ValidateQuery("", 100);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("query is empty"));
}

TEST(QueryValidationTest, RejectsOversizedNamingTheLimit) {
  const std::string megabyte(1 << 20, 'a');
  absl::Status status = ValidateQuery(megabyte, 8192);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("query is 1048576 bytes, over the limit max_query_bytes = 8192"));
  EXPECT_TRUE(ValidateQuery(std::string(8192, 'a'), 8192).ok());
}

TEST(QueryValidationTest, RejectsInvalidUtf8NamingTheOffset) {
  absl::Status status = ValidateQuery("abc\xff", 100);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not valid UTF-8 (byte 0xFF at offset 3)"));
}

TEST(QueryValidationTest, FindsEveryKindOfBrokenUtf8) {
  constexpr size_t npos = absl::string_view::npos;
  EXPECT_EQ(FindInvalidUtf8("ok \xc3\xa9"), npos);
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);                   // Lone continuation byte.
  EXPECT_EQ(FindInvalidUtf8("a\xc3"), 1u);                  // Truncated sequence.
  EXPECT_EQ(FindInvalidUtf8("\xc0\xaf"), 0u);               // Overlong '/'.
  EXPECT_EQ(FindInvalidUtf8("\xe0\x80\xaf"), 0u);           // Overlong, 3 bytes.
  EXPECT_EQ(FindInvalidUtf8("\xed\xa0\x80"), 0u);           // UTF-16 surrogate.
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);       // Above U+10FFFF.
  EXPECT_EQ(FindInvalidUtf8("\xe2\x82"), 0u);               // Truncated euro sign.
  EXPECT_EQ(FindInvalidUtf8("\xe2\x28\xa1"), 0u);           // Bad continuation.
  EXPECT_EQ(FindInvalidUtf8("\xf0\x9f\x98\x80 ok"), npos);  // Emoji.
}

}  // namespace
}  // namespace cascade::router
