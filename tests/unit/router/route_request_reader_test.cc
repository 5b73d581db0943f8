// The raw RouteRequest reader takes what protobuf's parser would, except that it leaves
// the UTF-8 check to the router (which names the offending byte).

#include "services/router/route_request_reader.h"

#include <gtest/gtest.h>

#include "cascade/v1/router.pb.h"

namespace cascade::router {
namespace {

TEST(RouteRequestReaderTest, ReadsTheQuery) {
  cascade::v1::RouteRequest request;
  request.set_query("how do I reset my password");
  absl::StatusOr<std::string> query = ReadRouteRequestQuery(request.SerializeAsString());
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(*query, "how do I reset my password");
}

TEST(RouteRequestReaderTest, EmptyMessageIsAnEmptyQuery) {
  absl::StatusOr<std::string> query = ReadRouteRequestQuery("");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(*query, "");
}

TEST(RouteRequestReaderTest, KeepsInvalidUtf8ForTheRouterToReject) {
  const std::string bytes = std::string("\x0a\x03", 2) + "a\xff" + "b";
  absl::StatusOr<std::string> query = ReadRouteRequestQuery(bytes);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(*query,
            "a\xff"
            "b");
}

TEST(RouteRequestReaderTest, SkipsUnknownFields) {
  // Field 7 varint 150, then the query, then field 9 length-delimited "zz".
  const std::string bytes =
      std::string("\x38\x96\x01", 3) + std::string("\x0a\x02hi", 4) + std::string("\x4a\x02zz", 4);
  absl::StatusOr<std::string> query = ReadRouteRequestQuery(bytes);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(*query, "hi");
}

TEST(RouteRequestReaderTest, RejectsTruncatedMessages) {
  EXPECT_EQ(ReadRouteRequestQuery(std::string("\x0a\x05hi", 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadRouteRequestQuery(std::string("\x00\x01", 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cascade::router
