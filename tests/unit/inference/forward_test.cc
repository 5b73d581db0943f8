// The forward pass: the known greedy continuation, batched = sequential, cache rollback, and
// quantized copies that stay close to F32.
#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/engine.h"
#include "services/inference/engine/session.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using testing::Target;

std::vector<int> RomeoPrompt() { return *Target()->tokenizer().Encode("ROMEO:"); }

std::vector<int> Greedy(std::shared_ptr<const Model> model, const std::vector<int>& prompt,
                        int max_tokens) {
  Engine engine(model, {});
  GenerateOptions request;
  request.prompt = prompt;
  request.max_tokens = max_tokens;
  request.stop_at_eos = false;
  auto result = engine.Generate(request);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->tokens : std::vector<int>{};
}

TEST(Forward, GreedyContinuationOfRomeo) {
  const auto tokens = Greedy(Target(), RomeoPrompt(), 12);
  const std::string text = Target()->tokenizer().Decode(tokens);
  EXPECT_THAT(text, ::testing::StartsWith("\nI'll tell you, I am not so,")) << text;
}

// Feeding a sequence in one batch gives the same logits, position for position, as feeding it
// one token at a time.
TEST(Forward, BatchedStepEqualsSequentialSteps) {
  ThreadPool pool(2);
  auto sequence = *Target()->tokenizer().Encode("ROMEO:\nI'll tell you, I am not so");
  const int n = static_cast<int>(sequence.size());
  Session batched(Target(), pool);
  ASSERT_TRUE(batched.Forward(sequence, n).ok());
  Session sequential(Target(), pool);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(sequential.Forward({&sequence[i], 1}, 1).ok());
    const auto expected = sequential.logits(0);
    const auto actual = batched.logits(i);
    for (size_t v = 0; v < expected.size(); ++v) {
      ASSERT_NEAR(actual[v], expected[v], 1e-4) << "position " << i << " token " << v;
    }
  }
}

TEST(Forward, ScalarAndSimdKernelsAgree) {
  ThreadPool pool(1);
  const auto prompt = RomeoPrompt();
  Session scalar(Target(), pool);
  scalar.set_kernels(ScalarKernels());
  ASSERT_TRUE(scalar.Forward(prompt, 1).ok());
  for (const Kernels* kernels : {Avx2Kernels(), Avx512Kernels()}) {
    if (kernels == nullptr) continue;  // not on this CPU
    Session simd(Target(), pool);
    simd.set_kernels(*kernels);
    ASSERT_TRUE(simd.Forward(prompt, 1).ok());
    for (size_t v = 0; v < simd.logits(0).size(); ++v) {
      EXPECT_NEAR(simd.logits(0)[v], scalar.logits(0)[v], 1e-3) << kernels->name;
    }
  }
}

// Rolling the cache back and feeding something else equals never having fed the first thing.
TEST(Forward, TruncateRollsBackTheCache) {
  ThreadPool pool(1);
  const auto prompt = RomeoPrompt();
  Session session(Target(), pool);
  ASSERT_TRUE(session.Forward(prompt, 1).ok());
  const std::vector<int> rejected = {100, 200, 300};
  ASSERT_TRUE(session.Forward(rejected, 3).ok());
  session.Truncate(static_cast<int>(prompt.size()));
  const int accepted = 13;
  ASSERT_TRUE(session.Forward({&accepted, 1}, 1).ok());

  Session fresh(Target(), pool);
  std::vector<int> expected_sequence = prompt;
  expected_sequence.push_back(accepted);
  ASSERT_TRUE(fresh.Forward(expected_sequence, 1).ok());
  for (size_t v = 0; v < fresh.logits(0).size(); ++v) {
    ASSERT_EQ(session.logits(0)[v], fresh.logits(0)[v]);
  }
}

TEST(Forward, RejectsContextOverflowAndBadTokens) {
  ThreadPool pool(1);
  Session session(Target(), pool, /*context_length=*/8);
  std::vector<int> tokens(9, 5);
  EXPECT_THAT(session.Forward(tokens, 1).message(), ::testing::HasSubstr("context length 8"));
  const int bad = 5000;
  EXPECT_THAT(session.Forward({&bad, 1}, 1).message(), ::testing::HasSubstr("token id 5000"));
}

TEST(Forward, LongPromptIsChunked) {
  ThreadPool pool(1);
  std::vector<int> tokens(Session::kMaxBatch + 9);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int>(3 + i * 7 % 1000);
  Session chunked(testing::Draft(), pool);
  ASSERT_TRUE(chunked.Forward(tokens, 2).ok());
  Session stepwise(testing::Draft(), pool);
  ASSERT_TRUE(stepwise.Forward(std::span(tokens).first(tokens.size() - 1), 0).ok());
  ASSERT_TRUE(stepwise.Forward(std::span(tokens).last(1), 1).ok());
  for (size_t v = 0; v < stepwise.logits(0).size(); ++v) {
    ASSERT_NEAR(chunked.logits(1)[v], stepwise.logits(0)[v], 1e-4);
  }
}

// Teacher-forced over the target's own text: the quantized copy's top token agrees with F32's.
double TopOneAgreement(std::shared_ptr<const Model> quantized) {
  ThreadPool pool(2);
  std::vector<int> text = RomeoPrompt();
  const auto continuation = Greedy(Target(), text, 40);
  text.insert(text.end(), continuation.begin(), continuation.end());
  const int n = static_cast<int>(text.size()) - 1;  // the last token needs no prediction
  Session reference(Target(), pool);
  Session other(quantized, pool);
  EXPECT_TRUE(reference.Forward(std::span(text).first(n), n).ok());
  EXPECT_TRUE(other.Forward(std::span(text).first(n), n).ok());
  int agree = 0;
  for (int i = 0; i < n; ++i) agree += Argmax(reference.logits(i)) == Argmax(other.logits(i));
  return static_cast<double>(agree) / n;
}

TEST(Forward, QuantizedCopiesStayCloseToF32) {
  testing::TempFile f16_file("target_f16.gguf");
  testing::TempFile q8_file("target_q8_0.gguf");
  testing::TempFile q4_file("target_q4_0.gguf");
  const auto f16 =
      testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), TensorType::kF16, f16_file);
  const auto q8 =
      testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), TensorType::kQ8_0, q8_file);
  const auto q4 =
      testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), TensorType::kQ4_0, q4_file);
  EXPECT_EQ(f16->weight_type(), TensorType::kF16);
  EXPECT_EQ(q8->weight_type(), TensorType::kQ8_0);
  EXPECT_GE(TopOneAgreement(f16), 0.98);
  EXPECT_GE(TopOneAgreement(q8), 0.95);
  EXPECT_GE(TopOneAgreement(q4), 0.75);
}

// Model::Load packs the matrices the forward pass multiplies by when the best kernels have a
// packed layout (Q8_0 with AVX-512 VNNI), and not when asked not to (a model served on a GPU).
TEST(Forward, LoadPacksTheMatricesOnlyWhenAskedAndTheKernelsHaveALayout) {
  testing::TempFile q8_file("packed_q8_0.gguf");
  const auto packed =
      testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), TensorType::kQ8_0, q8_file);
  auto in_place = Model::Load(q8_file.path(), {.pack_for_cpu = false});
  ASSERT_TRUE(in_place.ok()) << in_place.status();

  EXPECT_EQ((*in_place)->packed_bytes(), 0u);
  EXPECT_EQ((*in_place)->layers()[0].gate.packed, nullptr);
  EXPECT_EQ((*in_place)->classifier().packed, nullptr);
  if (BestKernels().pack == nullptr) {
    EXPECT_EQ(packed->packed_bytes(), 0u) << BestKernels().name << " has no packed layout";
    return;
  }
  EXPECT_GT(packed->packed_bytes(), 0u);
  for (const LayerWeights& layer : packed->layers()) {
    for (const Matrix* m : {&layer.query, &layer.key, &layer.value, &layer.attention_output,
                            &layer.gate, &layer.up, &layer.down}) {
      EXPECT_NE(m->packed, nullptr);
    }
  }
  EXPECT_NE(packed->classifier().packed, nullptr);
  EXPECT_EQ(packed->token_embedding().packed, nullptr);  // read a row at a time, in place
  // The embedding is still read from the file: a token's embedding is the same in both.
  std::vector<float> a(packed->config().dim), b(packed->config().dim);
  for (int token : {0, 7, packed->config().vocab_size - 1}) {
    packed->EmbedToken(token, a.data());
    (*in_place)->EmbedToken(token, b.data());
    EXPECT_EQ(a, b) << "token " << token;
  }
}

TEST(Forward, SeparateClassifierModelRuns) {
  testing::TempFile file("untied.gguf");
  RandomModelSpec spec;
  spec.config = {.dim = 32,
                 .layers = 2,
                 .heads = 4,
                 .kv_heads = 1,
                 .ffn_dim = 64,
                 .vocab_size = 300,
                 .context_length = 64};
  spec.tied_classifier = false;
  GgufWriter writer;
  ASSERT_TRUE(WriteRandomModel(spec, writer).ok());
  ASSERT_TRUE(writer.WriteFile(file.path()).ok());
  auto model = Model::Load(file.path());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_FALSE((*model)->tied_classifier());
  EXPECT_EQ(Greedy(*model, {1, 50, 60}, 5).size(), 5u);
}

}  // namespace
}  // namespace cascade::engine
