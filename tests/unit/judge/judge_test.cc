#include "services/judge/judge.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "common/config/config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::judge {
namespace {

using ::testing::HasSubstr;

// A scripted tier worker: records the requests, answers the next reply or error.
class FakeVerdictClient final : public VerdictClient {
 public:
  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                const CallScope&) override {
    requests.push_back(request);
    return reply;
  }
  const std::string& address() const override { return address_; }

  absl::StatusOr<v1::CompleteResponse> reply;
  std::vector<v1::CompleteRequest> requests;

 private:
  std::string address_ = "127.0.0.1:5999";
};

v1::CompleteResponse Reply(const std::string& text, double p_yes, double p_no, bool with_logprobs) {
  v1::CompleteResponse reply;
  reply.set_text(text);
  reply.set_tier("small");
  reply.mutable_usage()->set_prompt_tokens(40);
  reply.mutable_usage()->set_completion_tokens(1);
  reply.set_cost_pusd(40 * 150000 + 1 * 600000);
  if (with_logprobs) {
    v1::TokenLogprob* token = reply.add_logprobs();
    token->set_token(text);
    token->set_logprob(std::log(p_yes));
    v1::TopLogprob* yes = token->add_top();
    yes->set_token("Yes");
    yes->set_logprob(std::log(p_yes));
    v1::TopLogprob* no = token->add_top();
    no->set_token("No");
    no->set_logprob(std::log(p_no));
  }
  return reply;
}

v1::ScoreRequest Request(const std::vector<std::string>& methods,
                         const std::vector<double>& logprobs = {}) {
  v1::ScoreRequest request;
  v1::ChatMessage* message = request.add_messages();
  message->set_role("user");
  message->set_content("What is 2+2?");
  request.set_answer("4");
  request.set_finish_reason(v1::FINISH_REASON_STOP);
  for (double value : logprobs) request.add_answer_logprobs()->set_logprob(value);
  for (const std::string& method : methods) request.add_methods(method);
  return request;
}

struct Fixture {
  explicit Fixture(const v1::JudgeConfig& config = {}) : metrics(&registry) {
    auto options = JudgeOptionsFromConfig(config);
    EXPECT_TRUE(options.ok()) << options.status();
    auto client = std::make_unique<FakeVerdictClient>();
    llm = client.get();
    judge = std::make_unique<Judge>(*options, std::move(client), &metrics);
  }
  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry.Collect()); }
  prometheus::Registry registry;
  JudgeMetrics metrics;
  FakeVerdictClient* llm;
  std::unique_ptr<Judge> judge;
};

TEST(JudgeTest, LogprobMethodScoresExpOfTheConfiguredAggregate) {
  v1::JudgeConfig config;
  config.set_logprob_aggregate("min");
  Fixture f(config);
  auto response = f.judge->Score(Request({"logprob"}, {-0.1, std::log(0.25), -0.2}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), 0.25, 1e-12);
  ASSERT_EQ(response->methods_size(), 1);
  EXPECT_EQ(response->methods(0).method(), "logprob");
  EXPECT_THAT(response->methods(0).rationale(), HasSubstr("min logprob"));
  EXPECT_EQ(response->cost_pusd(), 0);
  EXPECT_TRUE(f.llm->requests.empty());
  EXPECT_THAT(f.Metrics(), HasSubstr("cascade_judge_score_count{method=\"logprob\"} 1"));
}

TEST(JudgeTest, DefaultMethodIsLogprob) {
  Fixture f;
  auto response = f.judge->Score(Request({}, {std::log(0.5)}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), 0.5, 1e-12);
}

TEST(JudgeTest, CalibrationMapsTheRawAggregate) {
  v1::JudgeConfig config;
  v1::JudgeCalibrationConfig* map = config.add_calibration();
  map->set_method("logprob");
  map->set_slope(2);
  map->set_intercept(1);
  Fixture f(config);
  auto response = f.judge->Score(Request({"logprob"}, {-0.5}), {});
  ASSERT_TRUE(response.ok());
  EXPECT_NEAR(response->score(), 0.5, 1e-12);  // sigmoid(2 * -0.5 + 1) = sigmoid(0).
}

TEST(JudgeTest, ValidatorsReportFailedChecks) {
  Fixture f;
  v1::ScoreRequest request = Request({"validators"});
  request.set_answer("I'm sorry, but I can't help with that.");
  auto response = f.judge->Score(request, {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->score(), 0.0);
  EXPECT_THAT(response->rationale(), HasSubstr("refusal"));
}

TEST(JudgeTest, LlmSendsTheRenderedPromptAndReadsTopLogprobs) {
  v1::JudgeConfig config;
  config.mutable_llm()->set_prompt_template("Q={query} A={answer} ok?");
  config.mutable_llm()->set_top_logprobs(5);
  Fixture f(config);
  f.llm->reply = Reply("Yes", 0.6, 0.2, /*with_logprobs=*/true);
  auto response = f.judge->Score(Request({"llm"}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), 0.75, 1e-9);
  EXPECT_EQ(response->path(), "logprobs");
  EXPECT_EQ(response->methods(0).path(), "logprobs");
  EXPECT_EQ(response->cost_pusd(), 40 * 150000 + 600000);
  EXPECT_EQ(response->methods(0).cost_pusd(), response->cost_pusd());
  EXPECT_EQ(response->usage().prompt_tokens(), 40);
  EXPECT_EQ(response->usage().completion_tokens(), 1);
  ASSERT_EQ(f.llm->requests.size(), 1u);
  const v1::CompleteRequest& sent = f.llm->requests[0];
  EXPECT_EQ(sent.messages(0).content(), "Q=What is 2+2? A=4 ok?");
  EXPECT_TRUE(sent.params().logprobs());
  EXPECT_EQ(sent.params().top_logprobs(), 5);
  EXPECT_EQ(sent.params().temperature(), 0);
  EXPECT_EQ(sent.params().max_tokens(), 4);
  EXPECT_THAT(f.Metrics(), HasSubstr("cascade_judge_cost_usd_total{method=\"llm\"} 6.59999"));
}

TEST(JudgeTest, LlmParsesTheTextWithoutLogprobs) {
  Fixture f;
  f.llm->reply = Reply("No.", 0, 0, /*with_logprobs=*/false);
  auto response = f.judge->Score(Request({"llm"}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->score(), 0.0);
  EXPECT_EQ(response->path(), "text");
}

TEST(JudgeTest, LlmErrorsNameTheTierAndWhatIsMissing) {
  Fixture f;
  f.llm->reply = absl::UnavailableError("llm judge: tier worker at 127.0.0.1:5999: refused");
  auto down = f.judge->Score(Request({"llm"}), {});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("127.0.0.1:5999"));

  f.llm->reply = Reply("Perhaps", 0, 0, false);
  EXPECT_EQ(f.judge->Score(Request({"llm"}), {}).status().code(), absl::StatusCode::kUnknown);

  v1::ScoreRequest no_user = Request({"llm"});
  no_user.clear_messages();
  EXPECT_THAT(f.judge->Score(no_user, {}).status().message(), HasSubstr("no non-empty user"));

  auto options = JudgeOptionsFromConfig({});
  Judge without_tier(*options, nullptr, nullptr);
  auto missing = without_tier.Score(Request({"llm"}), {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("llm_tier.address"));
}

TEST(JudgeTest, EquivalenceAsksWhetherTheAnswerSaysWhatTheReferenceSays) {
  Fixture f;
  f.llm->reply = Reply("Yes", 0.9, 0.1, /*with_logprobs=*/true);
  v1::ScoreRequest request = Request({"equivalence"});
  request.set_answer("four");
  request.set_reference_answer("2+2 = 4");
  auto response = f.judge->Score(request, {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), 0.9, 1e-9);
  EXPECT_EQ(response->methods(0).method(), "equivalence");
  EXPECT_EQ(response->cost_pusd(), 40 * 150000 + 600000);
  ASSERT_EQ(f.llm->requests.size(), 1u);
  const std::string& prompt = f.llm->requests[0].messages(0).content();
  EXPECT_THAT(prompt, HasSubstr("Query: What is 2+2?"));
  EXPECT_THAT(prompt, HasSubstr("Answer A: 2+2 = 4"));
  EXPECT_THAT(prompt, HasSubstr("Answer B: four"));
  EXPECT_THAT(f.Metrics(), HasSubstr("cascade_judge_score_count{method=\"equivalence\"} 1"));
}

TEST(JudgeTest, EquivalenceNeedsAReferenceAModelAndNeverRunsByDefault) {
  Fixture f;
  auto no_reference = f.judge->Score(Request({"equivalence"}), {});
  EXPECT_EQ(no_reference.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_reference.status().message(), HasSubstr("reference_answer, which is empty"));

  v1::ScoreRequest huge = Request({"equivalence"});
  huge.set_reference_answer(std::string((1 << 20) + 1, 'x'));
  EXPECT_THAT(f.judge->Score(huge, {}).status().message(),
              HasSubstr("reference_answer is 1048577 bytes"));
  EXPECT_TRUE(f.llm->requests.empty());

  auto options = JudgeOptionsFromConfig({});
  Judge without_tier(*options, nullptr, nullptr);
  v1::ScoreRequest request = Request({"equivalence"});
  request.set_reference_answer("4");
  EXPECT_EQ(without_tier.Score(request, {}).status().code(), absl::StatusCode::kFailedPrecondition);

  v1::JudgeConfig config;
  config.add_default_methods("equivalence");
  EXPECT_FALSE(JudgeOptionsFromConfig(config).ok());
}

TEST(JudgeTest, CombinedShortCircuitsWhenTheCheapMethodsAreDecisive) {
  Fixture f;
  // Confident: exp(-0.01) >= 0.9; no llm call.
  auto confident = f.judge->Score(Request({"combined"}, {-0.01, -0.01}), {});
  ASSERT_TRUE(confident.ok()) << confident.status();
  EXPECT_GT(confident->score(), 0.9);
  EXPECT_THAT(confident->rationale(), HasSubstr("llm not called"));
  // Unsure: exp(-5) <= 0.1; no llm call either.
  auto unsure = f.judge->Score(Request({"combined"}, {-5.0}), {});
  ASSERT_TRUE(unsure.ok());
  EXPECT_LT(unsure->score(), 0.1);
  // A validator failure vetoes.
  v1::ScoreRequest truncated = Request({"combined"}, {-0.5});
  truncated.set_finish_reason(v1::FINISH_REASON_LENGTH);
  auto vetoed = f.judge->Score(truncated, {});
  ASSERT_TRUE(vetoed.ok());
  EXPECT_EQ(vetoed->score(), 0.0);
  EXPECT_THAT(vetoed->rationale(), HasSubstr("validators veto: truncated"));
  EXPECT_TRUE(f.llm->requests.empty());
  EXPECT_EQ(vetoed->cost_pusd(), 0);
}

TEST(JudgeTest, CombinedCallsTheLlmInTheMiddleAndWeighs) {
  v1::JudgeConfig config;
  config.mutable_combined()->set_logprob_weight(1);
  config.mutable_combined()->set_llm_weight(3);
  Fixture f(config);
  f.llm->reply = Reply("Yes", 0.9, 0.1, true);
  auto response = f.judge->Score(Request({"combined"}, {std::log(0.5)}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), (0.5 + 3 * 0.9) / 4, 1e-9);
  EXPECT_EQ(response->path(), "logprobs");
  EXPECT_EQ(response->cost_pusd(), 40 * 150000 + 600000);
  EXPECT_EQ(f.llm->requests.size(), 1u);
  EXPECT_THAT(f.Metrics(), HasSubstr("cascade_judge_score_count{method=\"llm\"} 1"));
}

TEST(JudgeTest, CombinedDegradesToTheCheapMethodsWhenTheLlmIsDown) {
  Fixture f;
  f.llm->reply = absl::UnavailableError("llm judge: tier worker at 127.0.0.1:5999: refused");
  auto response = f.judge->Score(Request({"combined"}, {std::log(0.5)}), {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NEAR(response->score(), 0.5, 1e-9);
  EXPECT_THAT(response->rationale(), HasSubstr("degraded to the cheap methods"));
  EXPECT_THAT(response->rationale(), HasSubstr("127.0.0.1:5999"));
  EXPECT_EQ(response->path(), "");
  EXPECT_THAT(f.Metrics(), HasSubstr("cascade_judge_degraded_total{reason=\"llm_error\"} 1"));

  // Without logprobs nothing cheap is left to decide: the llm's error is the answer.
  EXPECT_EQ(f.judge->Score(Request({"combined"}), {}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(JudgeTest, CombinedFailsWhenConfiguredNotToDegrade) {
  v1::JudgeConfig config;
  config.mutable_combined()->set_on_llm_error("fail");
  Fixture f(config);
  f.llm->reply = absl::UnavailableError("down");
  EXPECT_EQ(f.judge->Score(Request({"combined"}, {std::log(0.5)}), {}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(JudgeTest, BadRequestsAreInvalidArgumentNamingTheProblem) {
  Fixture f;
  struct Case {
    v1::ScoreRequest request;
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({Request({"logprob"}, {-0.1, NAN}), "answer_logprobs[1] is NaN"});
  cases.push_back({Request({"validators"}, {0.3}), "answer_logprobs[0] is 0.3"});
  cases.push_back({Request({"logprob"}), "no token logprobs"});
  cases.push_back({Request({"vibes"}), "unknown method 'vibes'"});
  cases.push_back({Request({""}), "methods[0] is empty"});
  cases.push_back({Request({"logprob", "logprob"}, {-0.1}), "listed twice"});
  for (const Case& c : cases) {
    auto response = f.judge->Score(c.request, {});
    ASSERT_FALSE(response.ok()) << c.message;
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(response.status().message(), HasSubstr(c.message));
  }
}

TEST(JudgeTest, LimitsAreEnforced) {
  v1::JudgeConfig config;
  config.set_max_answer_bytes(3);
  config.set_max_logprobs(2);
  Fixture f(config);
  v1::ScoreRequest long_answer = Request({"validators"});
  long_answer.set_answer("four");
  EXPECT_THAT(f.judge->Score(long_answer, {}).status().message(),
              HasSubstr("at most 3 (max_answer_bytes)"));
  EXPECT_THAT(f.judge->Score(Request({"logprob"}, {-1, -1, -1}), {}).status().message(),
              HasSubstr("at most 2 (max_logprobs)"));
}

TEST(JudgeTest, SeveralMethodsAreCombinedAndAllReported) {
  Fixture f;
  auto response = f.judge->Score(Request({"logprob", "validators"}, {std::log(0.5)}), {});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->methods_size(), 2);
  EXPECT_NEAR(response->score(), 0.75, 1e-9);  // Weighted mean, weights 1.
}

TEST(JudgeOptionsTest, BadConfigNamesTheField) {
  struct Case {
    std::function<void(v1::JudgeConfig&)> edit;
    const char* message;
  };
  const std::vector<Case> cases = {
      {[](v1::JudgeConfig& c) { c.add_default_methods("vibes"); }, "default_methods"},
      {[](v1::JudgeConfig& c) { c.add_default_methods("llm"); }, "llm_tier.address"},
      {[](v1::JudgeConfig& c) { c.set_logprob_aggregate("p200"); }, "logprob_aggregate"},
      {[](v1::JudgeConfig& c) { c.mutable_llm()->set_prompt_template("{query}"); },
       "llm.prompt_template"},
      {[](v1::JudgeConfig& c) { c.mutable_llm()->add_yes_words("no"); }, "both a yes and a no"},
      {[](v1::JudgeConfig& c) { c.mutable_llm()->set_top_logprobs(50); }, "llm.top_logprobs"},
      {[](v1::JudgeConfig& c) { c.mutable_combined()->set_mode("magic"); }, "combined.mode"},
      {[](v1::JudgeConfig& c) { c.mutable_combined()->set_reject_below(0.95); },
       "combined.reject_below"},
      {[](v1::JudgeConfig& c) { c.mutable_combined()->set_on_llm_error("ignore"); },
       "combined.on_llm_error"},
      {[](v1::JudgeConfig& c) { c.add_calibration()->set_method("combined"); },
       "calibration.method"},
  };
  for (const Case& c : cases) {
    v1::JudgeConfig config;
    c.edit(config);
    auto options = JudgeOptionsFromConfig(config);
    ASSERT_FALSE(options.ok()) << c.message;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(options.status().message(), HasSubstr(c.message));
  }
}

TEST(JudgeOptionsTest, TheLocalDeployConfigLoadsAndValidates) {
  std::ifstream file(std::string(CASCADE_SOURCE_DIR) + "/deploy/local/judge.yaml");
  std::stringstream yaml;
  yaml << file.rdbuf();
  v1::JudgeConfig config;
  ASSERT_TRUE(ParseConfigYaml(absl::StrReplaceAll(yaml.str(), {{"{large}", "127.0.0.1:1"}}),
                              "judge.yaml", &config)
                  .ok());
  auto options = JudgeOptionsFromConfig(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->aggregate.Name(), "p10");
  EXPECT_TRUE(options->verdict_words.case_sensitive);
}

}  // namespace
}  // namespace cascade::judge
