#include "tools/loadgen/loadgen_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(LoadgenOptionsTest, DefaultsForAGrpcTarget) {
  auto options = ParseLoadgenOptions({"--target", "127.0.0.1:5000"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->protocol, LoadgenOptions::Protocol::kGrpc);
  EXPECT_EQ(options->grpc_address, "127.0.0.1:5000");
  EXPECT_EQ(options->rate, 100);
  EXPECT_EQ(options->duration, std::chrono::seconds(10));
  EXPECT_EQ(options->concurrency, 256);
  EXPECT_FALSE(options->json);
}

TEST(LoadgenOptionsTest, HttpTargetAndDurationsAreParsed) {
  auto options = ParseLoadgenOptions({"--target", "http://localhost:8080/", "--rate", "250.5",
                                      "--duration", "1m30s", "--api-key-env", "KEY", "--json"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->protocol, LoadgenOptions::Protocol::kHttp);
  EXPECT_EQ(options->http_host, "localhost");
  EXPECT_EQ(options->http_port, 8080);
  EXPECT_EQ(options->rate, 250.5);
  EXPECT_EQ(options->duration, std::chrono::seconds(90));
  EXPECT_EQ(options->api_key_env, "KEY");
  EXPECT_TRUE(options->json);
}

TEST(LoadgenOptionsTest, InputValidationNamesTheFlagAndWhatItAccepts) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& bad : std::vector<Case>{
           {{}, "--target"},
           {{"--target", "127.0.0.1:1", "--rtae", "5"}, "rtae"},
           {{"--target", "127.0.0.1:1", "--rate", "0"}, "--rate must be a number above 0"},
           {{"--target", "127.0.0.1:1", "--rate", "nan"}, "--rate"},
           {{"--target", "127.0.0.1:1", "--duration", "10"}, "--duration must be a duration"},
           {{"--target", "127.0.0.1:1", "--concurrency", "0"}, "--concurrency must be an integer"},
           {{"--target", "127.0.0.1:1", "--channels", "65"}, "from 1 to 64"},
           {{"--target", "127.0.0.1:1", "--api-key-env", "K"}, "over gRPC needs TLS"},
           {{"--target", "http://x:1", "--ca-file", "ca.pem"}, "apply to gRPC targets"},
           {{"--target", "https://x:1"}, "not supported yet"},
           {{"--target", "http://x"}, "http://HOST:PORT"},
           {{"--target", "localhost"}, "HOST:PORT"},
           {{"--target", "127.0.0.1:1", "extra"}, "unexpected argument 'extra'"},
       }) {
    auto options = ParseLoadgenOptions(bad.args);
    ASSERT_FALSE(options.ok()) << testing::PrintToString(bad.args);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(options.status().message(), HasSubstr(bad.says))
        << testing::PrintToString(bad.args);
  }
}

TEST(LoadgenOptionsTest, TlsFlagsDescribeTheGrpcConnection) {
  auto options = ParseLoadgenOptions({"--target", "orchestrator:50051", "--ca-file", "ca.pem",
                                      "--cert-file", "c.pem", "--key-file", "c.key",
                                      "--server-name", "cascade", "--api-key-env", "KEY"});
  ASSERT_TRUE(options.ok()) << options.status();
  const v1::ClientConfig& client = options->grpc_client;
  EXPECT_EQ(client.address(), "orchestrator:50051");
  EXPECT_EQ(client.tls().ca_file(), "ca.pem");
  EXPECT_EQ(client.tls().cert_file(), "c.pem");
  EXPECT_EQ(client.tls().key_file(), "c.key");
  EXPECT_EQ(client.tls().server_name(), "cascade");
  EXPECT_EQ(client.api_key_env(), "KEY");

  auto plaintext = ParseLoadgenOptions({"--target", "127.0.0.1:1"});
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  EXPECT_FALSE(plaintext->grpc_client.has_tls());
}

TEST(LoadgenOptionsTest, HelpNeedsNoTarget) {
  auto options = ParseLoadgenOptions({"--help"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->help);
  EXPECT_THAT(kLoadgenUsage, HasSubstr("--rate"));
}

}  // namespace
}  // namespace cascade::loadgen
