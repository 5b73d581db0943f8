#include "services/cache/lib/function_words.h"

#include <gtest/gtest.h>

namespace cascade::cache {
namespace {

TEST(FunctionWordsTest, FramingWordsAreFunctionWordsAndActionsAreNot) {
  for (const char* word : {"the", "what", "how", "in", "to", "is", "could", "please", "tell",
                           "find", "i'm", "let's"}) {
    EXPECT_TRUE(IsFunctionWord(word)) << word;
  }
  // Verbs that do something, nouns and negations are not.
  for (const char* word :
       {"set", "start", "stop", "book", "cancel", "weather", "paris", "not", "", "The"}) {
    EXPECT_FALSE(IsFunctionWord(word)) << word;
  }
}

TEST(FunctionWordsTest, RelationWordsAreFunctionWordsThatSetADirection) {
  for (const char* word : {"from", "to", "before", "after", "over", "under", "more", "less"}) {
    EXPECT_TRUE(IsRelationWord(word)) << word;
    EXPECT_TRUE(IsFunctionWord(word)) << word;
  }
  for (const char* word : {"in", "up", "the", "what", "weather"}) {
    EXPECT_FALSE(IsRelationWord(word)) << word;
  }
}

TEST(FunctionWordsTest, PronounsNameAPersonAuxiliariesATenseQuestionWordsAnAnswer) {
  EXPECT_EQ(PersonOf("my"), "first");
  EXPECT_EQ(PersonOf("we'll"), "first");
  EXPECT_EQ(PersonOf("yours"), "second");
  EXPECT_EQ(PersonOf("her"), "she");
  EXPECT_EQ(PersonOf("them"), "they");
  EXPECT_EQ(PersonOf("it"), "");
  EXPECT_EQ(PersonOf("name"), "");
  EXPECT_EQ(TenseOf("were"), "past");
  EXPECT_EQ(TenseOf("does"), "present");
  EXPECT_EQ(TenseOf("will"), "future");
  EXPECT_EQ(TenseOf("could"), "");
  EXPECT_EQ(QuestionOf("whom"), "who");
  EXPECT_EQ(QuestionOf("how"), "what");
  EXPECT_EQ(QuestionOf("where"), "where");
  EXPECT_EQ(QuestionOf("you"), "");
}

TEST(FunctionWordsTest, StemMakesPluralAndSingularAgree) {
  const std::pair<const char*, const char*> same[] = {
      {"flights", "flight"}, {"cities", "city"},   {"calories", "calorie"}, {"watches", "watch"},
      {"boxes", "box"},      {"classes", "class"}, {"days", "day"},         {"keys", "key"}};
  for (const auto& [plural, singular] : same) {
    EXPECT_EQ(StemWord(plural), StemWord(singular)) << plural << " / " << singular;
  }
  EXPECT_EQ(StemWord("flights"), "flight");
  EXPECT_EQ(StemWord("cities"), "citi");
  // Kept: "ss" endings and the s of short words.
  EXPECT_EQ(StemWord("address"), "address");
  EXPECT_EQ(StemWord("gas"), "gas");
  EXPECT_EQ(StemWord("bus"), "bus");
  EXPECT_EQ(StemWord("by"), "by");
  EXPECT_EQ(StemWord(""), "");
}

}  // namespace
}  // namespace cascade::cache
