// TLS, mutual TLS and API keys on a real server process (cascade-test-server, on the common
// runtime every cascade-* server uses) with a test PKI made by tests/support/make_test_ca.sh.
// Clients are built with ChannelFromConfig, the code every cascade client uses.

#include "common/security/grpc_security.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "cascade/test/v1/test_service.grpc.pb.h"
#include "tests/support/grpc_probe.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_config.h"

namespace cascade {
namespace {

using cascade::test::v1::EchoRequest;
using cascade::test::v1::EchoResponse;
using cascade::test::v1::TestService;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ServerProcess;
using namespace std::chrono_literals;

const std::string kTestServer = std::string(CASCADE_TEST_BIN_DIR) + "/cascade-test-server";
constexpr char kKeyEnv[] = "CASCADE_TEST_GRPC_KEYS";
constexpr char kClientKeyEnv[] = "CASCADE_TEST_GRPC_CLIENT_KEY";
constexpr char kGoodKey[] = "sk-test-4f9c2e7a1b";
constexpr char kOtherKey[] = "sk-test-second-77d1";

class GrpcSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new std::string(::testing::TempDir() + "/pki_" + std::to_string(getpid()));
    std::string output;
    auto result = ServerProcess::RunToExit(
        std::string(CASCADE_SOURCE_DIR) + "/tests/support/make_test_ca.sh", {*pki_}, &output);
    ASSERT_TRUE(result.exited && result.code == 0) << output;
  }
  static void TearDownTestSuite() { delete pki_; }

  static std::string Pki(const std::string& file) { return *pki_ + "/" + file; }

  // A server whose `server:` section is `server_yaml` (indented by two spaces).
  std::unique_ptr<ServerProcess> Start(const std::string& server_yaml,
                                       const std::map<std::string, std::string>& env = {}) {
    std::string path = testing::WriteTempConfig("security_" + std::to_string(++configs_) + ".yaml",
                                                "server:\n" + server_yaml);
    auto process = ServerProcess::Start(kTestServer, {"--config", path}, env);
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? *std::move(process) : nullptr;
  }

  // server.tls with these files of the test PKI.
  std::string TlsServerYaml(const std::string& cert = "server.pem",
                            const std::string& key = "server.key") const {
    return "  tls:\n    cert_file: " + Pki(cert) + "\n    key_file: " + Pki(key) + "\n";
  }

  // A client that trusts the test CA, with the given client certificate (NAME.pem/.key).
  v1::ClientConfig TlsClient(const std::string& address, const std::string& client_cert = "",
                             const std::string& ca = "ca.pem") const {
    v1::ClientConfig config;
    config.set_address(address);
    config.mutable_tls()->set_ca_file(Pki(ca));
    if (!client_cert.empty()) {
      config.mutable_tls()->set_cert_file(Pki(client_cert + ".pem"));
      config.mutable_tls()->set_key_file(Pki(client_cert + ".key"));
    }
    return config;
  }

  static grpc::Status Echo(const v1::ClientConfig& config) {
    auto channel = ChannelFromConfig(config, "test");
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, channel.status().ToString());
    return EchoOn(*channel);
  }

  static grpc::Status EchoOn(std::shared_ptr<grpc::Channel> channel) {
    auto stub = TestService::NewStub(std::move(channel));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    EchoResponse response;
    return stub->Echo(&context, EchoRequest(), &response);
  }

  static std::string* pki_;
  int configs_ = 0;
};

std::string* GrpcSecurityTest::pki_ = nullptr;

TEST_F(GrpcSecurityTest, TlsPortServesAClientThatTrustsItsCa) {
  auto server = Start(TlsServerYaml());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->listening().value("grpc_security", ""), "tls");
  grpc::Status status = Echo(TlsClient(server->grpc_address()));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GrpcSecurityTest, PlaintextClientCannotCallATlsPort) {
  auto server = Start(TlsServerYaml());
  ASSERT_NE(server, nullptr);
  v1::ClientConfig plaintext;
  plaintext.set_address(server->grpc_address());
  EXPECT_EQ(Echo(plaintext).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcSecurityTest, ClientRefusesAServerItsCaDidNotSign) {
  auto server = Start(TlsServerYaml());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Echo(TlsClient(server->grpc_address(), "", "other_ca.pem")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcSecurityTest, ClientRefusesACertificateForAnotherName) {
  auto server = Start(TlsServerYaml());
  ASSERT_NE(server, nullptr);
  v1::ClientConfig config = TlsClient(server->grpc_address());
  config.mutable_tls()->set_server_name("orchestrator.example.com");
  EXPECT_EQ(Echo(config).error_code(), grpc::StatusCode::UNAVAILABLE);
  // The name the certificate carries is accepted.
  config.mutable_tls()->set_server_name("localhost");
  EXPECT_TRUE(Echo(config).ok());
}

TEST_F(GrpcSecurityTest, MutualTlsAcceptsOnlyClientsWithACertificateFromItsCa) {
  auto server = Start(TlsServerYaml() + "    client_ca_file: " + Pki("ca.pem") + "\n");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->listening().value("grpc_security", ""), "mtls");
  grpc::Status with_cert = Echo(TlsClient(server->grpc_address(), "client"));
  EXPECT_TRUE(with_cert.ok()) << with_cert.error_message();
  EXPECT_EQ(Echo(TlsClient(server->grpc_address())).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Echo(TlsClient(server->grpc_address(), "other_client")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcSecurityTest, ApiKeysRefuseCallsWithoutAnAcceptedKeyAndNeverLogIt) {
  auto server = Start(TlsServerYaml() + "  api_keys_env: " + kKeyEnv + "\n",
                      {{kKeyEnv, std::string(kGoodKey) + ", " + kOtherKey}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->listening().value("grpc_security", ""), "tls+api_keys");

  grpc::Status missing = Echo(TlsClient(server->grpc_address()));
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("authorization: Bearer KEY"));

  v1::ClientConfig wrong = TlsClient(server->grpc_address());
  wrong.set_api_key_env(kClientKeyEnv);
  setenv(kClientKeyEnv, "sk-test-wrong", 1);
  EXPECT_EQ(Echo(wrong).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  for (const char* key : {kGoodKey, kOtherKey}) {
    setenv(kClientKeyEnv, key, 1);
    grpc::Status accepted = Echo(wrong);
    EXPECT_TRUE(accepted.ok()) << key << ": " << accepted.error_message();
  }
  unsetenv(kClientKeyEnv);

  // Health checks need no key: probes and load balancers carry none.
  auto health =
      testing::CheckGrpcHealth(*ChannelFromConfig(TlsClient(server->grpc_address()), "test"));
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, testing::HealthStatus::kServing);

  // Each refusal is a log line (method and reason) and a counted call; no key anywhere.
  ASSERT_TRUE(server->WaitForStderr("\"reason\":\"wrong\"", 10s)) << server->Stderr();
  EXPECT_THAT(server->Stderr(), HasSubstr("grpc_unauthenticated"));
  auto metrics = testing::HttpGet(server->metrics_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body,
              HasSubstr("cascade_grpc_server_requests_total{code=\"UNAUTHENTICATED\",method="
                        "\"Echo\",service=\"cascade.test.v1.TestService\"} 2"));
  for (const char* secret : {kGoodKey, kOtherKey, "sk-test-wrong"}) {
    EXPECT_THAT(server->Stderr(), Not(HasSubstr(secret)));
    EXPECT_THAT(metrics->body, Not(HasSubstr(secret)));
  }
}

TEST_F(GrpcSecurityTest, ApiKeysWithMutualTlsNeedBoth) {
  auto server = Start(TlsServerYaml() + "    client_ca_file: " + Pki("ca.pem") +
                          "\n  api_keys_env: " + kKeyEnv + "\n",
                      {{kKeyEnv, kGoodKey}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->listening().value("grpc_security", ""), "mtls+api_keys");
  v1::ClientConfig config = TlsClient(server->grpc_address(), "client");
  config.set_api_key_env(kClientKeyEnv);
  setenv(kClientKeyEnv, kGoodKey, 1);
  grpc::Status both = Echo(config);
  EXPECT_TRUE(both.ok()) << both.error_message();
  config.mutable_tls()->clear_cert_file();
  config.mutable_tls()->clear_key_file();
  EXPECT_EQ(Echo(config).error_code(), grpc::StatusCode::UNAVAILABLE);
  unsetenv(kClientKeyEnv);
}

// Operators' keys open every call as clients' keys do (admin RPCs then tell them apart:
// tests/integration/orchestrator/answer_cache_admin_test.cc); a key in neither list is
// still refused.
TEST_F(GrpcSecurityTest, AdminKeysAreAcceptedBesideClientKeys) {
  auto server = Start(TlsServerYaml() + "  api_keys_env: " + kKeyEnv +
                          "\n  admin_api_keys_env: CASCADE_TEST_GRPC_ADMIN_KEYS\n",
                      {{kKeyEnv, kGoodKey}, {"CASCADE_TEST_GRPC_ADMIN_KEYS", kOtherKey}});
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->listening().value("grpc_security", ""), "tls+api_keys+admin_keys");
  v1::ClientConfig config = TlsClient(server->grpc_address());
  config.set_api_key_env(kClientKeyEnv);
  for (const char* key : {kGoodKey, kOtherKey}) {
    setenv(kClientKeyEnv, key, 1);
    grpc::Status accepted = Echo(config);
    EXPECT_TRUE(accepted.ok()) << key << ": " << accepted.error_message();
  }
  setenv(kClientKeyEnv, "sk-test-wrong", 1);
  EXPECT_EQ(Echo(config).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Echo(TlsClient(server->grpc_address())).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  unsetenv(kClientKeyEnv);
  EXPECT_THAT(server->Stderr(), Not(HasSubstr(kOtherKey)));
}

// Each mistake stops the server at start (exit 78, EX_CONFIG) with a message naming the
// field and what to fix.
TEST_F(GrpcSecurityTest, ConfigMistakesStopTheServerWithAMessage) {
  struct Case {
    std::string server_yaml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"  api_keys_env: " + std::string(kKeyEnv) + "\n", "server.api_keys_env needs server.tls"},
      {"  admin_api_keys_env: " + std::string(kKeyEnv) + "\n",
       "server.admin_api_keys_env needs server.tls"},
      {TlsServerYaml("server.pem", "client.key"),
       "server.tls.key_file is not the private key of server.tls.cert_file"},
      {TlsServerYaml("missing.pem", "server.key"), "server.tls.cert_file: cannot read"},
      {TlsServerYaml("server.key", "server.key"), "holds no PEM certificate"},
      {TlsServerYaml("server.pem", "server.pem"), "holds no unencrypted PEM private key"},
      {"  tls:\n    cert_file: " + Pki("server.pem") + "\n", "key_file"},
      {TlsServerYaml() + "    client_ca_file: " + Pki("nope.pem") + "\n",
       "server.tls.client_ca_file: cannot read"},
      {TlsServerYaml() + "    client_ca: " + Pki("ca.pem") + "\n", "client_ca_file"},
  };
  for (const Case& c : cases) {
    std::string path = testing::WriteTempConfig(
        "bad_security_" + std::to_string(++configs_) + ".yaml", "server:\n" + c.server_yaml);
    std::string output;
    setenv(kKeyEnv, kGoodKey, 1);
    auto result = ServerProcess::RunToExit(kTestServer, {"--config", path}, &output);
    unsetenv(kKeyEnv);
    EXPECT_TRUE(result.exited && result.code == 78) << c.server_yaml << output;
    EXPECT_THAT(output, HasSubstr(c.message)) << c.server_yaml;
    EXPECT_THAT(output, Not(HasSubstr(kGoodKey)));
  }
}

}  // namespace
}  // namespace cascade
