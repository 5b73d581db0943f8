// SentencePiece BPE encoding, byte fallback, and UTF-8 safe decoding.
#include "services/inference/engine/tokenizer.h"

#include "common/text/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using ::testing::ElementsAre;

const Tokenizer& Bard() { return testing::Target()->tokenizer(); }

TEST(Tokenizer, EncodesRomeoLikeSentencePiece) {
  auto ids = Bard().Encode("ROMEO:");
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ElementsAre(1, 826, 983));
  EXPECT_EQ(Bard().token_text(826), "\xE2\x96\x81ROMEO");  // "▁ROMEO"
}

TEST(Tokenizer, SpecialTokens) {
  EXPECT_EQ(Bard().bos_id(), 1);
  EXPECT_EQ(Bard().eos_id(), 2);
  EXPECT_THAT(*Bard().Encode(""), ElementsAre(1));
  EXPECT_TRUE(Bard().Encode("", /*add_bos=*/false)->empty());
  EXPECT_EQ(Bard().TokenBytes(1), "");  // control tokens decode to nothing
}

TEST(Tokenizer, RoundTripsText) {
  for (const char* text :
       {"First Citizen:\nBefore we proceed any further, hear me speak.", "  two  spaces",
        "a\tb\r\n", "ROMEO: I'll tell you, I am not so,", "x", " leading space"}) {
    auto ids = Bard().Encode(text);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(Bard().Decode(*ids), text);
  }
}

TEST(Tokenizer, ByteFallbackRoundTripsNonAscii) {
  const std::string text = "h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x8E\xAD \xE2\x80\x94 \xE6\x97\xA5";
  auto ids = Bard().Encode(text);
  ASSERT_TRUE(ids.ok());
  // The emoji (4 bytes, not in the vocabulary) comes out as four byte tokens <0xF0> <0x9F> ...
  const std::vector<int> emoji = {3 + 0xF0, 3 + 0x9F, 3 + 0x8E, 3 + 0xAD};
  EXPECT_NE(std::search(ids->begin(), ids->end(), emoji.begin(), emoji.end()), ids->end());
  EXPECT_EQ(Bard().Decode(*ids), text);
}

TEST(Tokenizer, RejectsInvalidUtf8) {
  auto ids = Bard().Encode("bad \xC3 byte");
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ids.status().message()), ::testing::HasSubstr("UTF-8"));
}

// A hand-made vocabulary shows the merge order: highest score first, leftmost among equals.
TEST(Tokenizer, MergesByScoreThenLeftmost) {
  TokenizerVocab vocab;
  vocab.tokens = {"<unk>",
                  "<s>",
                  "</s>",
                  "\xE2\x96\x81",
                  "a",
                  "b",
                  "ab",
                  "ba",
                  "\xE2\x96\x81"
                  "a",
                  "aa"};
  vocab.scores = {0, 0, 0, -10, -10, -10, -1, -2, -5, -3};
  vocab.add_bos = false;
  auto tokenizer = Tokenizer::FromVocab(vocab);
  ASSERT_TRUE(tokenizer.ok());
  // "▁aba": candidates ▁a (-5), ab (-1), ba (-2): "ab" merges first, leaving ▁ ab a.
  EXPECT_THAT(*tokenizer->Encode("aba"), ElementsAre(3, 6, 4));
  // "▁abab": "ab" twice at equal score; the leftmost goes first, then the second.
  EXPECT_THAT(*tokenizer->Encode("abab"), ElementsAre(3, 6, 6));
  // "▁aaa": two "aa" candidates tie; the leftmost merges, so the result is ▁ aa a (merging
  // the right one first would have allowed ▁a aa).
  EXPECT_THAT(*tokenizer->Encode("aaa"), ElementsAre(3, 9, 4));
  // No byte tokens in this vocabulary: an unknown character becomes <unk>.
  EXPECT_THAT(*tokenizer->Encode("c"), ElementsAre(3, 0));
}

// Streaming the byte tokens of an encoded text one by one gives back the text, and every piece
// is valid UTF-8 on its own.
TEST(Utf8, DetokenizerStreamsWholeCharacters) {
  const std::string text = "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAD caf\xC3\xA9";
  auto ids = Bard().Encode(text, /*add_bos=*/false);
  ASSERT_TRUE(ids.ok());
  Utf8Stream stream;
  std::string joined;
  for (int id : *ids) {
    const std::string piece(stream.Push(Bard().TokenBytes(id)));
    EXPECT_TRUE(IsValidUtf8(piece));
    joined += piece;
  }
  joined += stream.Flush();
  EXPECT_EQ(joined, " " + text);  // streaming keeps the leading space Encode added
}

}  // namespace
}  // namespace cascade::engine
