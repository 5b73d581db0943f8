#include "common/grpc_runtime/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cascade {
namespace {

TEST(ListenAddressTest, ParsesHostPort) {
  auto address = ParseListenAddress("127.0.0.1:0", "--grpc-listen");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 0);
  EXPECT_EQ(address->ToGrpcTarget(), "127.0.0.1:0");
}

TEST(ListenAddressTest, ParsesBracketedIpv6) {
  auto address = ParseListenAddress("[::1]:8080", "x");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->ToGrpcTarget(), "[::1]:8080");
}

TEST(ListenAddressTest, ParsesUnixSocket) {
  auto address = ParseListenAddress("unix:/tmp/cascade.sock", "x");
  ASSERT_TRUE(address.ok());
  EXPECT_TRUE(address->is_unix);
  EXPECT_EQ(address->ToGrpcTarget(), "unix:/tmp/cascade.sock");
}

TEST(ListenAddressTest, RejectsMalformedWithTheFlagNamed) {
  for (const char* bad :
       {"localhost", ":80", "host:", "host:99999", "host:-1", "::1:80", "unix:", "host:8o"}) {
    auto address = ParseListenAddress(bad, "--metrics-listen");
    ASSERT_FALSE(address.ok()) << bad;
    EXPECT_EQ(address.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(address.status().message(), ::testing::HasSubstr("--metrics-listen")) << bad;
  }
}

}  // namespace
}  // namespace cascade
