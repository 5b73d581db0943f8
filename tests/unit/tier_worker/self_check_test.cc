// The self-check: a tier's model judges its own answer in a second one-token call. P(yes) is
// read from the first token's top logprobs (or the reply's word without them); its usage is
// priced at the tier's price and added to the response's cost; a failed check keeps the
// answer. (A replay backend's recorded check: replay_backend_test.)

#include "services/tier_worker/self_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/config/config_loader.h"
#include "services/tier_worker/testing/fake_backend.h"
#include "services/tier_worker/tier_worker.h"
#include "services/tier_worker/tier_worker_config.h"
#include "tests/support/metric_value.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;
using testing::FakeBackend;
using ::testing::HasSubstr;

constexpr ModelPrice kPrice{100'000, 400'000};  // pico-USD per input / output token.

CompleteRequest Question(bool self_check = true) {
  CompleteRequest request;
  auto* system = request.add_messages();
  system->set_role("system");
  system->set_content("Be brief.");
  auto* user = request.add_messages();
  user->set_role("user");
  user->set_content("Capital of France?");
  request.set_self_check(self_check);
  return request;
}

// A first token with its alternatives.
cascade::v1::TokenLogprob FirstToken(std::initializer_list<std::pair<std::string, double>> top) {
  cascade::v1::TokenLogprob token;
  token.set_token(top.begin()->first);
  token.set_logprob(top.begin()->second);
  for (const auto& [text, logprob] : top) {
    auto* alternative = token.add_top();
    alternative->set_token(text);
    alternative->set_logprob(logprob);
  }
  return token;
}

// A model that answers "Paris" and, asked the self-check question, replies with `check`.
class SelfCheckTest : public ::testing::Test {
 protected:
  TierWorker& Make(BackendInfo info = {"openai", "fake-model", true}, std::string prompt = "") {
    auto backend = std::make_unique<FakeBackend>(std::move(info));
    backend_ = backend.get();
    backend_->handler = [this](const CompleteRequest& request, const CallContext&,
                               DeltaSink*) -> absl::StatusOr<CompleteResponse> {
      if (request.messages(0).content().find("Paris") != std::string::npos) {
        check_requests_.push_back(request);
        return check;
      }
      CompleteResponse answer;
      answer.set_text("Paris");
      answer.mutable_usage()->set_prompt_tokens(12);
      answer.mutable_usage()->set_completion_tokens(1);
      return answer;
    };
    TierWorkerOptions options;
    options.tier = "small";
    options.price = kPrice;
    options.self_check.prompt = std::move(prompt);
    worker_ = std::make_unique<TierWorker>(options, std::move(backend), &registry_);
    return *worker_;
  }

  double SelfChecks(const std::string& outcome) {
    return cascade::testing::MetricValue(
        registry_, "cascade_tier_self_checks_total",
        {{"tier", "small"}, {"model", "fake-model"}, {"outcome", outcome}});
  }

  absl::StatusOr<CompleteResponse> check;
  std::vector<CompleteRequest> check_requests_;
  prometheus::Registry registry_;
  FakeBackend* backend_ = nullptr;
  std::unique_ptr<TierWorker> worker_;
};

TEST_F(SelfCheckTest, PYesComesFromTheFirstTokensTopLogprobsAndItsCostIsAdded) {
  TierWorker& worker = Make();
  CompleteResponse reply;
  reply.set_text("YES");
  *reply.add_logprobs() = FirstToken({{"YES", -0.2}, {"NO", -1.8}, {"Yes", -3.0}, {"The", -4}});
  reply.mutable_usage()->set_prompt_tokens(40);
  reply.mutable_usage()->set_completion_tokens(1);
  check = reply;

  auto response = worker.Complete(Question(), CallContext{});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "Paris");
  ASSERT_TRUE(response->has_self_check());
  const auto& self_check = response->self_check();
  const double yes = std::exp(-0.2) + std::exp(-3.0);
  EXPECT_NEAR(self_check.p_yes(), yes / (yes + std::exp(-1.8)), 1e-12);
  EXPECT_EQ(self_check.source(), "logprobs");
  EXPECT_EQ(self_check.error(), "");
  EXPECT_EQ(self_check.usage().prompt_tokens(), 40);
  EXPECT_EQ(self_check.cost_pusd(), 40 * 100'000 + 1 * 400'000);
  // The answer's usage stays its own; the cost is both calls'.
  EXPECT_EQ(response->usage().prompt_tokens(), 12);
  EXPECT_EQ(response->cost_pusd(), 12 * 100'000 + 1 * 400'000 + self_check.cost_pusd());
  EXPECT_EQ(SelfChecks("ok"), 1);

  // The second call: the rendered prompt, one greedy token, top logprobs.
  ASSERT_EQ(check_requests_.size(), 1u);
  const CompleteRequest& asked = check_requests_[0];
  ASSERT_EQ(asked.messages_size(), 1);
  EXPECT_EQ(asked.messages(0).role(), "user");
  EXPECT_THAT(asked.messages(0).content(), HasSubstr("Query: Capital of France?"));
  EXPECT_THAT(asked.messages(0).content(), HasSubstr("Proposed answer: Paris"));
  EXPECT_EQ(asked.params().max_tokens(), 1);
  EXPECT_EQ(asked.params().temperature(), 0);
  EXPECT_TRUE(asked.params().logprobs());
  EXPECT_EQ(asked.params().top_logprobs(), 20);
}

TEST_F(SelfCheckTest, NotAskedForIsNotRun) {
  TierWorker& worker = Make();
  auto response = worker.Complete(Question(/*self_check=*/false), CallContext{});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->has_self_check());
  EXPECT_EQ(backend_->calls(), 1);
  EXPECT_EQ(response->cost_pusd(), 12 * 100'000 + 1 * 400'000);
}

TEST_F(SelfCheckTest, WithoutLogprobsTheReplysWordDecidesAndIsMarkedSo) {
  TierWorker& worker = Make(BackendInfo{"openai", "fake-model", /*supports_logprobs=*/false});
  CompleteResponse reply;
  reply.set_text("No.");
  check = reply;
  auto response = worker.Complete(Question(), CallContext{});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->self_check().p_yes(), 0);
  EXPECT_EQ(response->self_check().source(), "text");
  ASSERT_EQ(check_requests_.size(), 1u);
  EXPECT_FALSE(check_requests_[0].params().logprobs());
  EXPECT_EQ(check_requests_[0].params().top_logprobs(), 0);
}

TEST_F(SelfCheckTest, AFailedCheckKeepsTheAnswerAndIsCountedAndReported) {
  TierWorker& worker = Make();
  check = absl::UnavailableError("upstream down");
  auto response = worker.Complete(Question(), CallContext{});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->text(), "Paris");
  EXPECT_THAT(response->self_check().error(), HasSubstr("upstream down"));
  EXPECT_EQ(response->cost_pusd(), 12 * 100'000 + 1 * 400'000);
  EXPECT_EQ(SelfChecks("error"), 1);
  EXPECT_EQ(SelfChecks("ok"), -1);  // Never recorded.
}

TEST_F(SelfCheckTest, AReplyThatIsNoVerdictIsAnErrorButItsTokensArePaid) {
  TierWorker& worker = Make();
  CompleteResponse reply;
  reply.set_text("Maybe");
  reply.mutable_usage()->set_prompt_tokens(40);
  reply.mutable_usage()->set_completion_tokens(1);
  check = reply;
  auto response = worker.Complete(Question(), CallContext{});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->self_check().error(), HasSubstr("Maybe"));
  EXPECT_EQ(response->self_check().cost_pusd(), 40 * 100'000 + 1 * 400'000);
  EXPECT_EQ(response->cost_pusd(), 12 * 100'000 + 1 * 400'000 + 40 * 100'000 + 1 * 400'000);
  EXPECT_EQ(SelfChecks("error"), 1);
}

TEST_F(SelfCheckTest, ACustomPromptGetsTheQueryAndTheAnswer) {
  TierWorker& worker = Make({"openai", "fake-model", true}, "Q={query} A={answer} ok?");
  CompleteResponse reply;
  reply.set_text("yes");
  check = reply;
  ASSERT_TRUE(worker.Complete(Question(), CallContext{}).ok());
  ASSERT_EQ(check_requests_.size(), 1u);
  EXPECT_EQ(check_requests_[0].messages(0).content(), "Q=Capital of France? A=Paris ok?");
}

TEST(SelfCheckConfigTest, APromptWithoutTheAnswerStopsTheServer) {
  EXPECT_TRUE(ValidateSelfCheckOptions({}).ok());
  EXPECT_EQ(ValidateSelfCheckOptions({"Is this right? {query}"}).code(),
            absl::StatusCode::kInvalidArgument);
  v1::TierWorkerConfig config;
  ASSERT_TRUE(ParseConfigYaml("openai: {base_url: 'http://127.0.0.1:1', model: gpt-4o-mini}\n"
                              "self_check: {prompt: 'Right? {query}'}\n",
                              "tier.yaml", &config)
                  .ok());
  prometheus::Registry registry;
  auto worker = BuildTierWorker(config, &registry);
  EXPECT_EQ(worker.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(worker.status().message(), HasSubstr("self_check.prompt lacks {answer}"));
}

}  // namespace
}  // namespace cascade::tier_worker
