// Conformance with llama.cpp of what differs between the supported architectures: tiny random
// models (dim 64, 2 layers) that make-random-model writes with its synthetic 512-token
// SentencePiece vocabulary (the real tokenizers have tests of their own, and a 150k-token
// classifier made llama.cpp's reference 30 s per model under the sanitizers), in F32 and in
// an F16 copy made by cascade-quantize, each generating 32 greedy tokens checked by the rules of
// agreement.h (logprobs of llama.cpp's top 5 within 1e-3 in F32, 1e-2 in F16):
//
// - Qwen3: qwen3 (QK-norm, head_dim 32 where dim / heads is 16, RoPE over halves).
// - Qwen2: qwen2 (Q/K/V biases, RoPE over halves).
// - Llama31: llama with Llama 3.1's rope_freqs.weight and theta 500000, after a 761-token
//   prompt: the divisors slow only the pairs whose wavelength exceeds 2048 positions, which
//   turn measurably only that far in.
//
// With random weights of the usual 0.02 scale, attention would be nearly uniform and a RoPE
// mistake would hardly show; make-random-model draws Wq and Wk so that scores are of unit size,
// and then leaving out rope_freqs.weight, pairing RoPE's values the llama way for qwen2,
// dropping qwen2's biases or qwen3's QK-norm each breaks the F32 tolerance (docs/testing.md).
//
// Each model prints one line of numbers per type (grep "conformance:") for docs/testing.md.
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

using engine::Architecture;
using engine::Model;
using ::testing::IsEmpty;

constexpr int kTokens = 32;
constexpr int kTop = 5;

constexpr char kPrompt[] =
    "Hello, world! It's 12345 dollars: $1,234,567.89. 中文字符测试，日本語のテキスト.";

// 761 tokens of the synthetic vocabulary, which has no piece for these letters: the
// leading space's three bytes and one byte token per letter.
std::string LongPrompt() {
  std::string text;
  for (int i = 0; i < 758; ++i) text += static_cast<char>('a' + i % 26);
  return text;
}

struct Shape {
  std::string name;   // test name suffix
  std::string title;  // for the printed numbers
  Architecture architecture;
  std::vector<std::string> flags;  // make-random-model's, beyond the common tiny shape
  std::string prompt;
  int context = 256;
};
void PrintTo(const Shape& shape, std::ostream* out) { *out << shape.name; }

bool Succeeded(const absl::StatusOr<CommandResult>& result) {
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return false;
  EXPECT_EQ(result->exit_code, 0) << result->err;
  return result->exit_code == 0;
}

// The shape's model, written as a user would, and its F16 copy.
std::vector<std::string> WriteModels(const Shape& shape, const WorkDir& dir) {
  std::vector<std::string> flags = {"--vocab", "512"};
  flags.insert(flags.end(), shape.flags.begin(), shape.flags.end());
  auto f32 = WriteTinyModel(
      {.name = shape.name, .dir = dir.path(), .context = shape.context, .flags = flags});
  EXPECT_TRUE(f32.ok()) << f32.status();
  if (!f32.ok()) return {};
  const std::string f16 = dir.path() + "/" + shape.name + "-f16.gguf";
  if (!Succeeded(RunCommand(
          {std::string(CASCADE_BIN_DIR) + "/cascade-quantize", *f32, f16, "--type", "f16"},
          dir.path(), "quantize-f16"))) {
    return {};
  }
  return {*f32, f16};
}

class ArchitectureConformance : public ::testing::TestWithParam<Shape> {};

TEST_P(ArchitectureConformance, GreedyTokensAndLogprobsAgreeInF32AndF16) {
  const Shape& shape = GetParam();
  WorkDir dir("architecture_conformance");
  auto node_modules = FindNodeModules(dir.path());
  ASSERT_TRUE(node_modules.ok()) << node_modules.status();
  const std::vector<std::string> paths = WriteModels(shape, dir);
  ASSERT_EQ(paths.size(), 2u);
  // One llama.cpp process for both files: node's start-up is a good part of the time.
  auto reference = RunLlamaCpp({.node_modules = *node_modules,
                                .models = paths,
                                .prompts = {shape.prompt},
                                .tokens = kTokens,
                                .top = kTop,
                                .context_size = shape.context,
                                .work_dir = dir.path()});
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(reference->size(), 2u);

  const struct {
    const char* type;
    double tolerance;
  } types[] = {{"f32", 1e-3}, {"f16", 1e-2}};
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(types[i].type);
    auto model = Model::Load(paths[i]);
    ASSERT_TRUE(model.ok()) << model.status();
    ASSERT_EQ((*model)->config().architecture, shape.architecture);
    auto report = CompareWithReference(*model, (*reference)[i], types[i].tolerance);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_THAT(report->violations, IsEmpty());
    std::cout << absl::StrFormat(
        "conformance: %s %s vs llama.cpp: greedy %d/%d positions agree (%d near-tie "
        "divergences); |logprob diff| over the top %d: max %.2g mean %.2g (tolerance %g)\n",
        shape.title, types[i].type, report->agreed, report->positions, report->divergences, kTop,
        report->logprobs.max, report->logprobs.mean(), types[i].tolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ArchitectureConformance,
    ::testing::Values(Shape{"Qwen3",
                            "Qwen-3-shaped (qwen3, head_dim 32)",
                            Architecture::kQwen3,
                            {"--arch", "qwen3", "--head-dim", "32", "--rope-theta", "1000000"},
                            kPrompt},
                      Shape{"Qwen2",
                            "Qwen-2-shaped (qwen2)",
                            Architecture::kQwen2,
                            {"--arch", "qwen2", "--rope-theta", "1000000"},
                            kPrompt},
                      Shape{"Llama31",
                            "Llama-3.1-shaped (llama3 rope scaling, 761-token prompt)",
                            Architecture::kLlama,
                            {"--rope-theta", "500000", "--rope-scaling", "llama3"},
                            LongPrompt(),
                            2048}),
    [](const ::testing::TestParamInfo<Shape>& info) { return info.param.name; });

}  // namespace
}  // namespace cascade::conformance
