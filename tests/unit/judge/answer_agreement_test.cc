#include "services/judge/lib/answer_agreement.h"

#include <gtest/gtest.h>

namespace cascade::judge {
namespace {

TEST(AnswerAgreementTest, SameTextUpToCaseSpaceAndFinalPunctuationIsExact) {
  const AgreementResult result = CompareAnswers("  Paris.\n", "paris");
  EXPECT_EQ(result.method, "exact");
  EXPECT_EQ(result.score, 1.0);
  EXPECT_TRUE(result.agrees());
}

TEST(AnswerAgreementTest, FinalNumbersDecideWhenBothAnswersHaveOne) {
  AgreementResult same =
      CompareAnswers("She has 3 apples, then buys 9: 12 in all.", "The answer is 12");
  EXPECT_EQ(same.method, "number");
  EXPECT_TRUE(same.agrees());
  AgreementResult different =
      CompareAnswers("3 + 9 = 12, so the answer is 12.", "3 + 8 = 11, so the answer is 11.");
  EXPECT_EQ(different.method, "number");
  EXPECT_EQ(different.score, 0.0);
  EXPECT_FALSE(different.agrees());
}

TEST(AnswerAgreementTest, FinalNumberIgnoresSeparatorsSignsAndTrailingZeros) {
  EXPECT_EQ(FinalNumber("it costs $1,234.50 in total."), "1234.5");
  EXPECT_EQ(FinalNumber("a drop of -7 degrees"), "-7");
  EXPECT_EQ(FinalNumber("the range 3-7"), "7");  // A dash between numbers is not a sign.
  EXPECT_EQ(FinalNumber("12.0"), "12");
  EXPECT_EQ(FinalNumber("007"), "7");
  EXPECT_EQ(FinalNumber("-0.0"), "0");
  EXPECT_EQ(FinalNumber("ask gpt4"), std::nullopt);  // Part of a word.
  EXPECT_EQ(FinalNumber("no numbers here"), std::nullopt);
  EXPECT_EQ(FinalNumber("It is 3."), "3");
  EXPECT_TRUE(CompareAnswers("#### 1,000", "1000.00").agrees());
}

TEST(AnswerAgreementTest, TextWithoutNumbersIsComparedByWordOverlap) {
  AgreementResult close =
      CompareAnswers("The capital of France is Paris", "Paris is the capital of France");
  EXPECT_EQ(close.method, "overlap");
  EXPECT_DOUBLE_EQ(close.score, 1.0);  // Same words, another order.
  AgreementResult far = CompareAnswers("Lyon", "The capital of France is Paris");
  EXPECT_EQ(far.method, "overlap");
  EXPECT_EQ(far.score, 0.0);
  EXPECT_FALSE(far.agrees());
  // One number alone does not decide: "in 1889" vs words only.
  AgreementResult partial = CompareAnswers("built in 1889", "the Eiffel tower was built");
  EXPECT_EQ(partial.method, "overlap");
  EXPECT_NEAR(partial.score, 2.0 * 1 / (3 + 5), 1e-12);
}

TEST(AnswerAgreementTest, EmptyAnswers) {
  EXPECT_TRUE(CompareAnswers("", " ").agrees());
  EXPECT_FALSE(CompareAnswers("", "Paris").agrees());
  EXPECT_FALSE(CompareAnswers("...", "Paris").agrees());
}

}  // namespace
}  // namespace cascade::judge
