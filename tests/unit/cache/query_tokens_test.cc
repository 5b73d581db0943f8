#include "services/cache/lib/query_tokens.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cascade::cache {
namespace {

std::vector<std::string> Keys(absl::string_view text) {
  std::vector<std::string> keys;
  for (const QueryToken& token : TokenizeQuery(text)) keys.push_back(token.key);
  return keys;
}

TEST(QueryTokensTest, NumbersAreCanonical) {
  EXPECT_EQ(Keys("1,000 and 3.50 and 007 and 2.0"),
            (std::vector<std::string>{"1000", "and", "3.5", "and", "7", "and", "2"}));
  EXPECT_EQ(Keys("at 6:30, then 3,5"), (std::vector<std::string>{"at", "6:30", "then", "3", "5"}));
  EXPECT_EQ(Keys("It is 3."), (std::vector<std::string>{"it", "is", "3"}));
}

TEST(QueryTokensTest, LettersAfterANumberAreTheirOwnTokenButNotBefore) {
  EXPECT_EQ(Keys("5km at 3pm on the 2nd"),
            (std::vector<std::string>{"5", "km", "at", "3", "pm", "on", "the", "2", "nd"}));
  const std::vector<QueryToken> tokens = TokenizeQuery("the A380");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1].text, "A380");
  EXPECT_FALSE(tokens[1].is_number);
}

TEST(QueryTokensTest, ApostrophesAndPossessives) {
  EXPECT_EQ(Keys("Don\u2019t ask 'today's' date"),
            (std::vector<std::string>{"don't", "ask", "today", "date"}));
}

TEST(QueryTokensTest, CurrencySignsAreTokensAndPunctuationSeparates) {
  const std::vector<QueryToken> tokens = TokenizeQuery("$5 or \u20AC5 \u2014 \u00ABok\u00BB");
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_TRUE(tokens[0].is_currency_sign);
  EXPECT_EQ(tokens[0].key, "$");
  EXPECT_TRUE(tokens[1].is_number);
  EXPECT_EQ(tokens[3].key, "\u20AC");
  EXPECT_EQ(tokens[5].key, "ok");
}

TEST(QueryTokensTest, SentenceStartsAfterEndMarks) {
  const std::vector<QueryToken> tokens = TokenizeQuery("Hi there. Where? Here\nNow ok");
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_TRUE(tokens[0].sentence_start);
  EXPECT_FALSE(tokens[1].sentence_start);
  EXPECT_TRUE(tokens[2].sentence_start);
  EXPECT_TRUE(tokens[3].sentence_start);
  EXPECT_TRUE(tokens[4].sentence_start);
  EXPECT_FALSE(tokens[5].sentence_start);
}

TEST(QueryTokensTest, NonAsciiLettersStayInWordsAndBrokenUtf8IsSafe) {
  EXPECT_EQ(Keys("Z\u00FCrich caf\u00E9"), (std::vector<std::string>{"z\u00FCrich", "caf\u00E9"}));
  EXPECT_EQ(Keys("\u6771\u4EAC 2"), (std::vector<std::string>{"\u6771\u4EAC", "2"}));
  // A lead byte cut off at the end, and a stray continuation byte.
  EXPECT_EQ(Keys("ab\xE2\x82").size(), 1u);
  EXPECT_EQ(Keys("\x80x").size(), 1u);
  EXPECT_TRUE(TokenizeQuery("").empty());
  EXPECT_TRUE(TokenizeQuery(" ... !? ").empty());
}

}  // namespace
}  // namespace cascade::cache
