// The decision log: one line per finished request with the policy, start, every attempt
// and all its signals, the outcome and cost; the messages only as their SHA-256 unless
// include_prompt; failed requests too; drops counted.

#include "services/orchestrator/lib/decision_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/text/sha256.h"
#include "services/orchestrator/lib/orchestrator.h"
#include "services/orchestrator/lib/testing/fake_clients.h"
#include "services/orchestrator/lib/testing/recording_observer.h"

namespace cascade::orchestrator {
namespace {

using nlohmann::json;
using testing::Answer;
using testing::FakeTierClient;
using ::testing::HasSubstr;
using testing::RecordingObserver;

DecisionLogSettings LogAt(const std::string& path, bool include_prompt = false) {
  DecisionLogSettings settings;
  settings.path = path;
  settings.include_prompt = include_prompt;
  return settings;
}

std::vector<json> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

class DecisionLogTest : public ::testing::Test {
 protected:
  DecisionLogTest()
      : small_(std::make_shared<FakeTierClient>("small", 100'000, 400'000)),
        large_(std::make_shared<FakeTierClient>("large", 2'500'000, 10'000'000)),
        path_(absl::StrCat(::testing::TempDir(), "/decisions_", ::getpid(), "_",
                           ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                           ".jsonl")) {
    std::filesystem::remove(path_);
    settings_.tiers = {{"small", "a", std::nullopt}, {"large", "b", std::nullopt}};
    PolicySettings policy;
    policy.name = "ladder";
    policy.routing = false;
    AcceptanceRule rule;
    rule.self_check_min = 0.8;
    policy.tiers = {{"small", rule}, {"large", AcceptanceRule()}};
    settings_.policies = {policy};
  }

  Orchestrator& Make(bool include_prompt) {
    OrchestratorClients clients;
    clients.tiers = {{"small", small_}, {"large", large_}};
    orchestrator_ = std::make_unique<Orchestrator>(settings_, std::move(clients), observer_);
    auto log = DecisionLog::Open(LogAt(path_, include_prompt), observer_.get());
    EXPECT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    orchestrator_->SetDecisionLog(log_);
    return *orchestrator_;
  }

  static v1::CascadeRequest Ask(const std::string& text) {
    v1::CascadeRequest request;
    auto* system = request.add_messages();
    system->set_role("system");
    system->set_content("Be brief.");
    auto* user = request.add_messages();
    user->set_role("user");
    user->set_content(text);
    request.set_tenant("team-a");
    return request;
  }

  absl::StatusOr<v1::CascadeResponse> Run(Orchestrator& orchestrator, const std::string& text,
                                          const std::string& id) {
    CascadeCall call;
    call.request_id = id;
    call.cancellation = &cancel_;
    return orchestrator.Complete(Ask(text), call);
  }

  static v1::CompleteResponse Doubtful() {
    v1::CompleteResponse answer = Answer("small", "Lyon", -0.3, 12, 2, 100'000, 400'000);
    answer.mutable_self_check()->set_p_yes(0.4);
    answer.mutable_self_check()->set_source("recorded");
    answer.mutable_self_check()->mutable_usage()->set_prompt_tokens(30);
    answer.mutable_self_check()->mutable_usage()->set_completion_tokens(1);
    return answer;
  }

  OrchestratorSettings settings_;
  std::shared_ptr<FakeTierClient> small_;
  std::shared_ptr<FakeTierClient> large_;
  std::shared_ptr<RecordingObserver> observer_ = std::make_shared<RecordingObserver>();
  CancellationToken cancel_;
  std::string path_;
  std::shared_ptr<DecisionLog> log_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(DecisionLogTest, ALinePerRequestWithEveryAttemptAndItsSignals) {
  small_->Enqueue(Doubtful());
  large_->Enqueue(Answer("large", "Paris", -0.05, 12, 1, 2'500'000, 10'000'000));
  Orchestrator& orchestrator = Make(/*include_prompt=*/false);
  auto response = Run(orchestrator, "Capital of France?", "req-1");
  ASSERT_TRUE(response.ok()) << response.status();
  log_->Flush();

  std::vector<json> lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 1u);
  const json& line = lines[0];
  EXPECT_EQ(line["request_id"], "req-1");
  EXPECT_EQ(line["policy"], "ladder");
  EXPECT_EQ(line["tenant"], "team-a");
  EXPECT_EQ(line["outcome"], "ok");
  EXPECT_EQ(line["start"]["tier"], "small");
  EXPECT_EQ(line["start"]["why"], "routing_off");
  EXPECT_EQ(line["final_tier"], "large");
  EXPECT_EQ(line["cost_pusd"], response->cost_pusd());
  EXPECT_EQ(line["baseline_cost_pusd"], response->baseline_cost_pusd());
  EXPECT_EQ(line["savings_pusd"], response->savings_pusd());
  EXPECT_THAT(line["time"].get<std::string>(), HasSubstr("T"));
  // The messages only as the digest of their canonical JSON.
  EXPECT_EQ(line["messages_sha256"],
            Sha256Hex(R"([{"content":"Be brief.","role":"system"},)"
                      R"({"content":"Capital of France?","role":"user"}])"));
  EXPECT_FALSE(line.contains("messages"));

  ASSERT_EQ(line["attempts"].size(), 2u);
  const json& small = line["attempts"][0];
  EXPECT_EQ(small["tier"], "small");
  EXPECT_EQ(small["model"], "small-model");
  EXPECT_EQ(small["accepted"], false);
  EXPECT_EQ(small["rule"], "self_check");
  EXPECT_DOUBLE_EQ(small["confidence"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(small["signals"]["self_check"]["p_yes"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(small["signals"]["logprob"]["mean"].get<double>(), -0.3);
  EXPECT_EQ(small["signals"]["completion_tokens"], 2);
  EXPECT_EQ(small["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(small["cost_pusd"], response->steps(0).cost_pusd());
  EXPECT_FALSE(small.contains("answer"));
  const json& large = line["attempts"][1];
  EXPECT_EQ(large["accepted"], true);
  EXPECT_EQ(large["rule"], "none");
}

TEST_F(DecisionLogTest, IncludePromptAddsTheMessagesAndEveryAnswer) {
  small_->Enqueue(Doubtful());
  large_->Enqueue(Answer("large", "Paris", -0.05, 12, 1, 2'500'000, 10'000'000));
  Orchestrator& orchestrator = Make(/*include_prompt=*/true);
  ASSERT_TRUE(Run(orchestrator, "Capital of France?", "req-2").ok());
  log_->Flush();
  std::vector<json> lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 1u);
  const json& line = lines[0];
  ASSERT_EQ(line["messages"].size(), 2u);
  EXPECT_EQ(line["messages"][1]["content"], "Capital of France?");
  EXPECT_EQ(line["attempts"][0]["answer"], "Lyon");
  EXPECT_EQ(line["attempts"][0]["logprobs"].size(), 2u);
  EXPECT_EQ(line["attempts"][0]["self_check_usage"]["prompt_tokens"], 30);
  EXPECT_EQ(line["attempts"][1]["answer"], "Paris");
}

TEST_F(DecisionLogTest, AFailedRequestIsLoggedWithItsError) {
  small_->Enqueue(absl::UnavailableError("small down"));
  large_->Enqueue(absl::UnavailableError("large down"));
  Orchestrator& orchestrator = Make(/*include_prompt=*/false);
  EXPECT_FALSE(Run(orchestrator, "hi", "req-3").ok());
  v1::CascadeRequest empty;
  CascadeCall call;
  call.request_id = "req-4";
  call.cancellation = &cancel_;
  EXPECT_FALSE(orchestrator.Complete(empty, call).ok());  // Refused before planning.
  log_->Flush();
  std::vector<json> lines = ReadLines(path_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["outcome"], "unavailable");
  EXPECT_THAT(lines[0]["error"].get<std::string>(), HasSubstr("small down"));
  EXPECT_EQ(lines[1]["request_id"], "req-4");
  EXPECT_EQ(lines[1]["outcome"], "invalid_argument");
  EXPECT_EQ(lines[1]["policy"], "");
}

TEST_F(DecisionLogTest, AnUnwritableLogCountsItsDrops) {
  auto log = DecisionLog::Open(LogAt("/dev/full"), observer_.get());
  ASSERT_TRUE(log.ok()) << log.status();
  v1::CascadeRequest request = Ask("hi");
  CascadeCall call;
  absl::StatusOr<v1::CascadeResponse> result = absl::InternalError("x");
  FinishedRequest finished;
  finished.request = &request;
  finished.call = &call;
  finished.result = &result;
  (*log)->Record(finished);
  (*log)->Flush();
  EXPECT_EQ((*log)->dropped(), 1);
  EXPECT_THAT(observer_->Text(), HasSubstr("decision_log_dropped"));
  EXPECT_EQ(DecisionLog::Open(LogAt("/nonexistent-dir/d.jsonl"), observer_.get()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cascade::orchestrator
