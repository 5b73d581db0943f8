// policies_file: the orchestrator reads its policies from the file at start, takes each new
// version while it runs, and keeps the policies in service when a version does not load
// (logged, counted). A file beside `policies` in the config is refused.

#include "services/orchestrator/lib/policies_reloader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/config/config_loader.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"
#include "tests/support/poll.h"

namespace cascade::orchestrator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kWait = std::chrono::seconds(10);

class PoliciesReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/policies_", ::getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".yaml");
    Write("policies: [{name: first, tiers: [{tier: small}, {tier: large}]}]\n");
    ASSERT_TRUE(ParseConfigYaml(absl::StrCat("tiers:\n"
                                             "  - {name: small, endpoint: {address: a}}\n"
                                             "  - {name: large, endpoint: {address: b}}\n"
                                             "policies_file: \"",
                                             path_, "\"\npolicies_poll_interval: 10ms\n"),
                                "orchestrator.yaml", &config_)
                    .ok());
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Replaced whole, as an editor or a ConfigMap update does.
  void Write(const std::string& text) {
    const std::string temporary = path_ + ".tmp";
    std::ofstream(temporary) << text;
    std::filesystem::rename(temporary, path_);
  }

  std::shared_ptr<Orchestrator> Start() {
    baseline_ = ReadFileSignature(path_);
    auto settings = SettingsFromConfig(config_);
    EXPECT_TRUE(settings.ok()) << settings.status();
    OrchestratorClients clients;
    clients.tiers = {{"small", std::make_shared<testing::FakeTierClient>("small", 1, 1)},
                     {"large", std::make_shared<testing::FakeTierClient>("large", 2, 2)}};
    return std::make_shared<Orchestrator>(*std::move(settings), std::move(clients), observer_);
  }

  std::string path_;
  v1::OrchestratorConfig config_;
  FileSignature baseline_;
  std::shared_ptr<testing::RecordingObserver> observer_ =
      std::make_shared<testing::RecordingObserver>();
};

TEST_F(PoliciesReloaderTest, ANewVersionIsTakenAndABadOneLeavesTheOldInService) {
  std::shared_ptr<Orchestrator> orchestrator = Start();
  EXPECT_THAT(orchestrator->PolicyNames(), ElementsAre("first"));
  PoliciesReloader reloader(config_, absl::Milliseconds(10), baseline_, orchestrator,
                            observer_.get());

  Write(
      "policies:\n"
      "  - {name: second, tiers: [{tier: small, accept: {self_check: {min: 0.9}}}, {tier: "
      "large}]}\n"
      "  - {name: third, tiers: [{tier: large}]}\n"
      "default_policy: third\n");
  ASSERT_TRUE(cascade::testing::PollUntil(
      [&] {
        return orchestrator->PolicyNames() == std::vector<std::string>{"third", "second"};
      },
      kWait));
  EXPECT_THAT(observer_->Text(), HasSubstr("policies_reload outcome=ok"));

  Write("policies: [{name: broken, tiers: [{tier: medium}]}]\n");
  ASSERT_TRUE(cascade::testing::PollUntil(
      [&] { return observer_->Text().find("policies_reload outcome=error") != std::string::npos; },
      kWait));
  EXPECT_THAT(orchestrator->PolicyNames(), ElementsAre("third", "second"));
}

TEST_F(PoliciesReloaderTest, TheFileAndTheConfigsPoliciesAreNotBoth) {
  v1::OrchestratorConfig both = config_;
  both.add_policies()->set_name("inline");
  auto settings = SettingsFromConfig(both);
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(settings.status().message(), HasSubstr("not both"));

  v1::OrchestratorConfig never_polled = config_;
  never_polled.mutable_policies_poll_interval()->set_seconds(0);
  never_polled.mutable_policies_poll_interval()->set_nanos(0);
  settings = SettingsFromConfig(never_polled);
  EXPECT_THAT(settings.status().message(), HasSubstr("policies_poll_interval must be > 0"));

  v1::OrchestratorConfig missing = config_;
  missing.set_policies_file("/nonexistent/policies.yaml");
  settings = SettingsFromConfig(missing);
  EXPECT_EQ(settings.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(settings.status().message(), HasSubstr("policies_file"));

  Write(
      "policies: [{name: p, tiers: [{tier: small, accept: {logprob: {min: 2}}}, {tier: "
      "large}]}]\n");
  settings = SettingsFromConfig(config_);
  EXPECT_THAT(settings.status().message(),
              HasSubstr("policies[0].tiers[0].accept.logprob.min must be set and <= 0"));
  EXPECT_THAT(settings.status().message(), HasSubstr(path_));
}

}  // namespace
}  // namespace cascade::orchestrator
