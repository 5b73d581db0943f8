// The replay backend: a request gets the recorded model's answer, logprobs, usage and
// self-check, matched by its messages exactly; through the tier worker the cost is usage x
// the tier's price; unknown requests and bad files are named.

#include "services/tier_worker/replay_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/config/config_loader.h"
#include "services/tier_worker/tier_worker_config.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using ::testing::HasSubstr;

const std::string kFixture = std::string(CASCADE_SOURCE_DIR) + "/tests/data/outcomes/ladder.jsonl";

CompleteRequest Ask(std::initializer_list<std::pair<std::string, std::string>> messages,
                    bool logprobs = false) {
  CompleteRequest request;
  for (const auto& [role, content] : messages) {
    auto* message = request.add_messages();
    message->set_role(role);
    message->set_content(content);
  }
  request.mutable_params()->set_logprobs(logprobs);
  return request;
}

CompleteRequest France(bool logprobs = false) {
  return Ask({{"system", "Answer with one word."}, {"user", "Capital of France?"}}, logprobs);
}

class CollectingSink final : public DeltaSink {
 public:
  bool OnDelta(const CompleteChunk& delta) override {
    deltas.push_back(delta);
    return true;
  }
  std::vector<CompleteChunk> deltas;
};

std::unique_ptr<ReplayBackend> Load(const std::string& model) {
  auto backend = ReplayBackend::Load({kFixture, model});
  EXPECT_TRUE(backend.ok()) << backend.status();
  return backend.ok() ? *std::move(backend) : nullptr;
}

TEST(ReplayBackendTest, AnswersAsTheRecordedModelDid) {
  auto tiny = Load("tiny");
  EXPECT_EQ(tiny->conversations(), 3u);
  EXPECT_EQ(tiny->info().backend, "replay");
  EXPECT_EQ(tiny->info().model, "tiny");
  EXPECT_TRUE(tiny->info().supports_logprobs);
  auto answer = tiny->Complete(Ask({{"user", "What is 17 * 23?"}}, /*logprobs=*/true), {}, nullptr);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->text(), "381");
  EXPECT_EQ(answer->finish_reason(), cascade::v1::FINISH_REASON_STOP);
  EXPECT_EQ(answer->upstream_model(), "tiny");
  EXPECT_EQ(answer->usage().prompt_tokens(), 9);
  EXPECT_EQ(answer->usage().completion_tokens(), 2);
  ASSERT_EQ(answer->logprobs_size(), 2);
  EXPECT_DOUBLE_EQ(answer->logprobs(0).logprob(), -1.6);

  auto mid = Load("mid")->Complete(Ask({{"user", "What is 17 * 23?"}}), {}, nullptr);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->text(), "391");
  EXPECT_EQ(mid->logprobs_size(), 0);  // Not asked for.
}

TEST(ReplayBackendTest, StreamsTokenByTokenWhenTheLogprobsSpellTheAnswer) {
  auto tiny = Load("tiny");
  CollectingSink sink;
  auto answer = tiny->Complete(Ask({{"user", "What is 17 * 23?"}}, true), {}, &sink);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(sink.deltas.size(), 2u);
  EXPECT_EQ(sink.deltas[0].text(), "38");
  EXPECT_EQ(sink.deltas[1].text(), "1");
  EXPECT_EQ(sink.deltas[1].logprobs_size(), 1);

  // No logprobs recorded: the answer comes in one piece.
  CollectingSink whole;
  ASSERT_TRUE(
      tiny->Complete(Ask({{"user", "Who wrote \"Middlemarch\"? Answer: caf\xC3\xA9 style"}}), {},
                     &whole)
          .ok());
  ASSERT_EQ(whole.deltas.size(), 1u);
  EXPECT_EQ(whole.deltas[0].text(), "Dickens");
}

TEST(ReplayBackendTest, MessagesMustMatchExactlyOrItIsNotFound) {
  auto tiny = Load("tiny");
  EXPECT_TRUE(tiny->Complete(France(), {}, nullptr).ok());
  // Another role, another content, a missing system message: no record.
  for (const CompleteRequest& request :
       {Ask({{"user", "Answer with one word."}, {"user", "Capital of France?"}}),
        Ask({{"system", "Answer with one word."}, {"user", "Capital of France? "}}),
        Ask({{"user", "Capital of France?"}})}) {
    auto answer = tiny->Complete(request, {}, nullptr);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(answer.status().message(), HasSubstr("no recorded answer of 'tiny'"));
    EXPECT_THAT(answer.status().message(), HasSubstr("Capital of France?"));
  }
}

TEST(ReplayBackendTest, ACancelledCallStopsStreaming) {
  auto tiny = Load("tiny");
  CancellationToken cancel;
  cancel.Cancel();
  CallContext context;
  context.cancel = &cancel;
  CollectingSink sink;
  auto answer = tiny->Complete(Ask({{"user", "What is 17 * 23?"}}, true), context, &sink);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(sink.deltas.empty());
}

TEST(ReplayBackendTest, BadFilesAndUnknownModelsStopTheServer) {
  auto unknown = ReplayBackend::Load({kFixture, "huge"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'huge' answered none of the 3 queries"));

  const std::string bad = ::testing::TempDir() + "/replay-bad.jsonl";
  std::ofstream(bad) << "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], "
                        "\"models\": {\"m\": {\"answer\": \"y\"}}}\n";
  auto broken = ReplayBackend::Load({bad, "m"});
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(broken.status().message(), HasSubstr(bad + ":1: models.m.usage is missing"));

  EXPECT_EQ(ReplayBackend::Load({"/nonexistent.jsonl", "m"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// The tier worker a `replay:` config builds for `tiny`, priced 0.10 / 0.40 USD per million.
std::unique_ptr<TierWorker> TinyTier(prometheus::Registry& registry) {
  v1::TierWorkerConfig config;
  EXPECT_TRUE(ParseConfigYaml("tier: tiny\nreplay: {outcomes: " + kFixture +
                                  ", model: tiny}\n"
                                  "price: {input_usd_per_mtok: 0.10, output_usd_per_mtok: 0.40}\n",
                              "tier.yaml", &config)
                  .ok());
  auto worker = BuildTierWorker(config, &registry);
  EXPECT_TRUE(worker.ok()) << worker.status();
  return worker.ok() ? *std::move(worker) : nullptr;
}

TEST(ReplayBackendTest, ThroughTheTierWorkerTheCostIsUsageTimesThePrice) {
  prometheus::Registry registry;
  std::unique_ptr<TierWorker> worker = TinyTier(registry);
  ASSERT_NE(worker, nullptr);
  EXPECT_EQ(worker->Describe().backend(), "replay");
  EXPECT_EQ(worker->Describe().model(), "tiny");
  auto answer = worker->Complete(France(), CallContext{});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->text(), "Paris");
  EXPECT_EQ(answer->tier(), "tiny");
  // 12 prompt tokens at 100,000 pico-USD each, 1 completion token at 400,000.
  EXPECT_EQ(answer->cost_pusd(), 12 * 100'000 + 1 * 400'000);

  v1::TierWorkerConfig unpriced;
  ASSERT_TRUE(
      ParseConfigYaml("replay: {outcomes: " + kFixture + ", model: tiny}\n", "tier.yaml", &unpriced)
          .ok());
  EXPECT_THAT(BuildTierWorker(unpriced, &registry).status().message(), HasSubstr("tiny"));
}

TEST(ReplayBackendTest, TheRecordedSelfCheckIsReturnedAndPriced) {
  prometheus::Registry registry;
  std::unique_ptr<TierWorker> worker = TinyTier(registry);
  ASSERT_NE(worker, nullptr);
  CompleteRequest request = France();
  request.set_self_check(true);
  auto answer = worker->Complete(request, CallContext{});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_DOUBLE_EQ(answer->self_check().p_yes(), 0.93);
  EXPECT_EQ(answer->self_check().source(), "recorded");
  // The recorded check: 30 prompt tokens, 1 completion token.
  EXPECT_EQ(answer->self_check().cost_pusd(), 30 * 100'000 + 1 * 400'000);
  EXPECT_EQ(answer->cost_pusd(), 12 * 100'000 + 1 * 400'000 + 30 * 100'000 + 1 * 400'000);
}

TEST(ReplayBackendTest, ARecordWithoutASelfCheckSaysSo) {
  auto mid = Load("mid");
  ASSERT_NE(mid, nullptr);
  CompleteRequest request = Ask({{"user", "What is 17 * 23?"}});
  auto check = mid->RecordedSelfCheck(request);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(check.status().message(), HasSubstr("has no self_check"));
  EXPECT_EQ(mid->RecordedSelfCheck(Ask({{"user", "What is 17 * 24?"}})).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cascade::tier_worker
