#include "services/judge/lib/llm_verdict.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::judge {
namespace {

using ::testing::HasSubstr;

v1::TokenLogprob FirstToken(const std::vector<std::pair<std::string, double>>& alternatives) {
  v1::TokenLogprob token;
  token.set_token(alternatives.front().first);
  token.set_logprob(std::log(alternatives.front().second));
  for (const auto& [text, p] : alternatives) {
    v1::TopLogprob* top = token.add_top();
    top->set_token(text);
    top->set_logprob(std::log(p));
  }
  return token;
}

TEST(LlmVerdictTest, PYesIsNormalisedOverYesAndNoFromTopLogprobs) {
  // P(YES)=0.6, P(No)=0.2, P(" yes")=0.1 (same word), P(maybe)=0.1 (ignored):
  // (0.6 + 0.1) / (0.6 + 0.1 + 0.2) = 0.7 / 0.9.
  const v1::TokenLogprob first =
      FirstToken({{"YES", 0.6}, {"No", 0.2}, {" yes", 0.1}, {"maybe", 0.1}});
  absl::StatusOr<Verdict> verdict = ReadVerdict("YES", &first, VerdictWords{});
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_EQ(verdict->path, "logprobs");
  EXPECT_NEAR(verdict->score, 0.7 / 0.9, 1e-9);
  EXPECT_THAT(verdict->rationale, HasSubstr("P(yes)=0.7"));
}

TEST(LlmVerdictTest, SentencePieceMarkersAreTrimmed) {
  const v1::TokenLogprob first = FirstToken({{"\xE2\x96\x81Nay", 0.5},
                                             {"\xE2\x96\x81"
                                              "Ay",
                                              0.25}});
  VerdictWords words;
  words.yes = {"Ay"};
  words.no = {"Nay"};
  words.case_sensitive = true;
  absl::StatusOr<Verdict> verdict = ReadVerdict(" Nay", &first, words);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  EXPECT_NEAR(verdict->score, 0.25 / 0.75, 1e-9);
}

TEST(LlmVerdictTest, OnlyOneSideAmongTheAlternativesGivesZeroOrOne) {
  const v1::TokenLogprob first = FirstToken({{"No", 0.9}, {"The", 0.05}});
  absl::StatusOr<Verdict> verdict = ReadVerdict("No", &first, VerdictWords{});
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ(verdict->score, 0.0);
  EXPECT_EQ(verdict->path, "logprobs");
}

TEST(LlmVerdictTest, WithoutLogprobsTheFirstWordIsParsed) {
  for (const auto& [text, score] : std::vector<std::pair<std::string, double>>{
           {"Yes, it is.", 1.0}, {"  no.", 0.0}, {"**YES**", 1.0}, {"NO - wrong", 0.0}}) {
    absl::StatusOr<Verdict> verdict = ReadVerdict(text, nullptr, VerdictWords{});
    ASSERT_TRUE(verdict.ok()) << text << ": " << verdict.status();
    EXPECT_EQ(verdict->path, "text");
    EXPECT_EQ(verdict->score, score) << text;
    EXPECT_THAT(verdict->rationale, HasSubstr("no logprobs"));
  }
}

TEST(LlmVerdictTest, NoVerdictWordAmongTheAlternativesFallsBackToTheText) {
  const v1::TokenLogprob first = FirstToken({{"Well", 0.9}, {"The", 0.05}});
  absl::StatusOr<Verdict> verdict = ReadVerdict("Well", &first, VerdictWords{});
  EXPECT_EQ(verdict.status().code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(verdict.status().message(), HasSubstr("'Well' is not a verdict"));
  EXPECT_THAT(verdict.status().message(), HasSubstr("llm.yes_words"));
  absl::StatusOr<Verdict> parsed = ReadVerdict("Yes indeed", &first, VerdictWords{});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->path, "text");
  EXPECT_THAT(parsed->rationale, HasSubstr("no verdict word among the first token"));
}

TEST(LlmVerdictTest, CaseSensitiveWordsDoNotMatchOtherCases) {
  VerdictWords words;
  words.yes = {"Ay"};
  words.no = {"Nay"};
  words.case_sensitive = true;
  EXPECT_FALSE(ReadVerdict("ay", nullptr, words).ok());
  words.case_sensitive = false;
  EXPECT_EQ(ReadVerdict("ay", nullptr, words)->score, 1.0);
}

TEST(LlmVerdictTest, VerdictWordsAreValidated) {
  VerdictWords words;
  words.yes = {};
  EXPECT_EQ(ValidateVerdictWords(words).code(), absl::StatusCode::kInvalidArgument);
  words.yes = {"yes"};
  words.no = {"YES"};
  EXPECT_THAT(ValidateVerdictWords(words).message(), HasSubstr("both a yes and a no word"));
  words.case_sensitive = true;
  EXPECT_TRUE(ValidateVerdictWords(words).ok());
  words.no = {" "};
  EXPECT_THAT(ValidateVerdictWords(words).message(), HasSubstr("blank"));
}

TEST(LlmVerdictTest, PromptFillsQueryAndAnswerOnce) {
  absl::StatusOr<std::string> prompt =
      RenderJudgePrompt("Q: {query}\nA: {answer}\nOK?", "what is {answer}?", "four");
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(*prompt, "Q: what is {answer}?\nA: four\nOK?");
  EXPECT_THAT(RenderJudgePrompt("no placeholder", "q", "a").status().message(),
              HasSubstr("lacks {answer}"));
  EXPECT_THAT(*RenderJudgePrompt(kDefaultJudgePrompt, "q", "a"), HasSubstr("Reply YES or NO"));
}

}  // namespace
}  // namespace cascade::judge
