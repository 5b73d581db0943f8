// make-random-model's reader of Hugging Face tokenizers (tools/make_random_model/hf_tokenizer),
// on small tokenizer.json / tokenizer_config.json files written here: what it takes from
// them, and the bad files it refuses with the file and the reason named.
#include "tools/make_random_model/hf_tokenizer.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cascade::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kLlama3Regex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+)";

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Ids 0 "a", 1 "b", 2 "ab"; merges as strings or pairs; added tokens 4 (special) and 5, so
// id 3 is a gap.
std::string TokenizerJson(const std::string& pre_regex, const std::string& merges) {
  return std::string(R"({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [)") +
         R"({"type": "Split", "pattern": {"Regex": ")" + pre_regex + R"("}}]},)" +
         R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": )" + merges +
         R"(}, "added_tokens": [{"id": 4, "content": "<|eot_id|>", "special": true},)" +
         R"({"id": 5, "content": "<tool>", "special": false}]})";
}

constexpr char kConfig[] =
    R"({"bos_token": "a", "eos_token": {"content": "<|eot_id|>"}, "chat_template": "{{ x }}"})";

TEST(HfTokenizer, ReadsVocabularyMergesSpecialTokensAndTemplate) {
  auto read = ReadHfTokenizer(
      {.tokenizer_json = Write("ok.json", TokenizerJson(kLlama3Regex, R"([["a", "b"]])")),
       .tokenizer_config_json = Write("ok_config.json", kConfig)});
  ASSERT_TRUE(read.ok()) << read.status();
  const TokenizerVocab& vocab = read->vocab;
  EXPECT_EQ(vocab.model, TokenizerModel::kByteLevelBpe);
  EXPECT_EQ(vocab.pre, PreTokenizer::kLlama3);
  EXPECT_THAT(vocab.tokens, ElementsAre("a", "b", "ab", "[PAD3]", "<|eot_id|>", "<tool>"));
  EXPECT_THAT(vocab.kinds,
              ElementsAre(TokenKind::kNormal, TokenKind::kNormal, TokenKind::kNormal,
                          TokenKind::kUnused, TokenKind::kControl, TokenKind::kUserDefined));
  EXPECT_THAT(vocab.merges, ElementsAre("a b"));
  EXPECT_EQ(vocab.bos_id, 0);
  EXPECT_EQ(vocab.eos_id, 4);
  EXPECT_EQ(vocab.eot_id, 4);
  EXPECT_TRUE(vocab.add_bos);  // a bos_token and no add_bos_token: added
  EXPECT_EQ(read->chat_template, "{{ x }}");
}

TEST(HfTokenizer, AnUnrecognisedPreTokenizerNeedsToBeNamed) {
  const std::string json = Write("other_pre.json", TokenizerJson("\\\\w+", R"(["a b"])"));
  const std::string config = Write("other_pre_config.json", kConfig);
  auto read = ReadHfTokenizer({.tokenizer_json = json, .tokenizer_config_json = config});
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr("name one with --pre"));
  auto named = ReadHfTokenizer(
      {.tokenizer_json = json, .tokenizer_config_json = config, .pre = PreTokenizer::kQwen2});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->vocab.pre, PreTokenizer::kQwen2);
}

TEST(HfTokenizer, BadFilesAreRefusedNamingTheReason) {
  const std::string good = TokenizerJson(kLlama3Regex, R"(["a b"])");
  const std::string config = Write("bad_config.json", kConfig);
  auto message = [&](const std::string& json, const std::string& config_path) {
    auto read = ReadHfTokenizer(
        {.tokenizer_json = Write("bad.json", json), .tokenizer_config_json = config_path});
    EXPECT_FALSE(read.ok());
    return std::string(read.status().message());
  };
  EXPECT_THAT(message("[1, 2]", config), HasSubstr("is not a JSON object"));
  EXPECT_THAT(message(R"({"model": {"type": "Unigram"}})", config), HasSubstr("no BPE model"));
  EXPECT_THAT(message(TokenizerJson(kLlama3Regex, "[7]"), config), HasSubstr("merge"));
  // A merge pair of numbers: a JSON type error, not a crash.
  EXPECT_THAT(message(TokenizerJson(kLlama3Regex, "[[1, 2]]"), config), HasSubstr("or its config"));
  EXPECT_THAT(message(good, Write("no_eos.json", R"({"bos_token": "a"})")),
              HasSubstr("no eos_token"));
  EXPECT_THAT(message(good, ::testing::TempDir() + "/missing_config.json"),
              HasSubstr("cannot open"));
}

}  // namespace
}  // namespace cascade::engine
