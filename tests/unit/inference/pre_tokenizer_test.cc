// The three pre-tokenizers against their regular expressions, on cases worked by hand: each
// alternative of the regex, in its order, and the whitespace rules that need a lookahead.
#include "services/inference/engine/pre_tokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/unicode_classes.h"

namespace cascade::engine {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(absl::string_view text, PreTokenizer kind) {
  std::vector<std::string> out;
  for (absl::string_view word : SplitWords(text, kind)) out.emplace_back(word);
  return out;
}

TEST(UnicodeClasses, LettersNumbersAndWhitespaceBeyondAscii) {
  EXPECT_TRUE(IsLetter(U'é'));
  EXPECT_TRUE(IsLetter(U'中'));
  EXPECT_TRUE(IsLetter(U'ж'));
  EXPECT_FALSE(IsLetter(U'1'));
  EXPECT_FALSE(IsLetter(U'😀'));
  EXPECT_TRUE(IsNumber(U'٣'));  // Arabic-Indic digit (Nd)
  EXPECT_TRUE(IsNumber(U'½'));  // No
  EXPECT_TRUE(IsNumber(U'Ⅻ'));  // Nl
  EXPECT_FALSE(IsNumber(U'a'));
  EXPECT_TRUE(IsWhitespace(U'\u3000'));
  EXPECT_TRUE(IsWhitespace(U'\u00A0'));
  EXPECT_FALSE(IsWhitespace(U'\u200B'));  // zero-width space is not White_Space
}

TEST(PreTokenizer, Llama3KeepsTheSpaceBeforeAWordAndGroupsDigitsByThree) {
  EXPECT_THAT(Split("Hello world 1234567", PreTokenizer::kLlama3),
              ElementsAre("Hello", " world", " ", "123", "456", "7"));
}

TEST(PreTokenizer, Qwen2TakesOneDigitAtATime) {
  EXPECT_THAT(Split("x 2024", PreTokenizer::kQwen2), ElementsAre("x", " ", "2", "0", "2", "4"));
}

TEST(PreTokenizer, ContractionsAreCaseInsensitiveForLlama3Only) {
  EXPECT_THAT(Split("I'LL it's", PreTokenizer::kLlama3), ElementsAre("I", "'LL", " it", "'s"));
  EXPECT_THAT(Split("I'LL it's", PreTokenizer::kGpt2), ElementsAre("I", "'", "LL", " it", "'s"));
}

TEST(PreTokenizer, PunctuationTakesOneSpaceAndTrailingNewlines) {
  EXPECT_THAT(Split("a (b)!\n\nc", PreTokenizer::kLlama3),
              ElementsAre("a", " (", "b", ")!\n\n", "c"));
}

TEST(PreTokenizer, AWhitespaceRunLeavesItsLastSpaceToTheNextWord) {
  EXPECT_THAT(Split("a   b", PreTokenizer::kLlama3), ElementsAre("a", "  ", " b"));
  EXPECT_THAT(Split("a   b", PreTokenizer::kGpt2), ElementsAre("a", "  ", " b"));
  // At the end of the text the whole run is one word.
  EXPECT_THAT(Split("a   ", PreTokenizer::kLlama3), ElementsAre("a", "   "));
}

TEST(PreTokenizer, WhitespaceUpToTheLastNewlineIsOneWord) {
  EXPECT_THAT(Split("a \n \n  b", PreTokenizer::kLlama3), ElementsAre("a", " \n \n", " ", " b"));
  // GPT-2 has no newline rule: the run leaves its last space to "b".
  EXPECT_THAT(Split("a \n \n  b", PreTokenizer::kGpt2), ElementsAre("a", " \n \n ", " b"));
}

TEST(PreTokenizer, APunctuationMarkOrSymbolBeforeLettersJoinsThem) {
  // Llama 3's [^\r\n\p{L}\p{N}]?\p{L}+ takes one non-letter in front of the letters.
  EXPECT_THAT(Split("$abc #x", PreTokenizer::kLlama3), ElementsAre("$abc", " #", "x"));
  EXPECT_THAT(Split("$abc #x", PreTokenizer::kGpt2), ElementsAre("$", "abc", " #", "x"));
}

TEST(PreTokenizer, WordsCoverTheTextExactly) {
  const std::string text = "Ünïcödé 中文 😀👍🏽\r\n\t x=1e-9; ١٢٣٤  ";
  for (PreTokenizer kind : {PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2}) {
    std::string joined;
    for (absl::string_view word : SplitWords(text, kind)) {
      EXPECT_FALSE(word.empty());
      joined.append(word.data(), word.size());
    }
    EXPECT_EQ(joined, text);
  }
  EXPECT_TRUE(SplitWords("", PreTokenizer::kLlama3).empty());
}

TEST(PreTokenizer, GgufNames) {
  EXPECT_EQ(PreTokenizerFromGguf("llama-bpe"), PreTokenizer::kLlama3);
  EXPECT_EQ(PreTokenizerFromGguf("qwen2"), PreTokenizer::kQwen2);
  EXPECT_EQ(PreTokenizerFromGguf("gpt-2"), PreTokenizer::kGpt2);
  EXPECT_EQ(PreTokenizerFromGguf("deepseek-coder"), std::nullopt);
  for (PreTokenizer kind : {PreTokenizer::kGpt2, PreTokenizer::kLlama3, PreTokenizer::kQwen2}) {
    EXPECT_EQ(PreTokenizerFromGguf(PreTokenizerGgufName(kind)), kind);
  }
}

}  // namespace
}  // namespace cascade::engine
