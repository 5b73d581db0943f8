// Speculative decoding: the accept/resample rule is exact (enumerated, not sampled); greedy
// speculation reproduces the target token for token; sampled speculation draws from the
// target's distribution (chi-square).
#include "services/inference/engine/speculative.h"

#include <cmath>
#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/engine.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

using testing::Draft;
using testing::Target;

// P(output = x) = sum over drafts d of q(d) * [accept: a(d) * [x = d] + reject: (1 - a(d)) *
// r_d(x)]
std::vector<double> OutputDistribution(const std::vector<double>& p, const std::vector<double>& q) {
  const int n = static_cast<int>(p.size());
  std::vector<double> out(n, 0.0);
  std::vector<double> residual(n);
  for (int d = 0; d < n; ++d) {
    if (q[d] == 0) continue;  // never proposed
    const double accept = AcceptProbability(p, q, d);
    out[d] += q[d] * accept;
    ResidualDistribution(p, q, d, residual);
    for (int x = 0; x < n; ++x) out[x] += q[d] * (1 - accept) * residual[x];
  }
  return out;
}

TEST(SpeculativeRule, OutputDistributionIsExactlyTheTargets) {
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {{0.5, 0.2, 0.2, 0.1, 0.0}, {0.1, 0.1, 0.3, 0.2, 0.3}},  // q proposes a token p never makes
      {{0.0, 0.3, 0.7, 0.0, 0.0}, {0.25, 0.25, 0.25, 0.25, 0.0}},
      {{0.1, 0.2, 0.3, 0.4, 0.0}, {0.1, 0.2, 0.3, 0.4, 0.0}},  // p == q: always accepted
      {{0.6, 0.1, 0.1, 0.1, 0.1}, {0.01, 0.01, 0.01, 0.01, 0.96}},
      {{1.0, 0.0, 0.0, 0.0, 0.0}, {0.0, 1.0, 0.0, 0.0, 0.0}},  // greedy target, greedy drafter
  };
  for (const auto& [p, q] : cases) {
    const auto out = OutputDistribution(p, q);
    for (size_t x = 0; x < p.size(); ++x) EXPECT_NEAR(out[x], p[x], 1e-9) << "token " << x;
  }
}

TEST(SpeculativeRule, DeterministicDrafterIsExactToo) {
  // A drafter that always proposes d (n-gram lookup) has q = all mass on d.
  const std::vector<double> p = {0.15, 0.35, 0.05, 0.45};
  for (int d = 0; d < 4; ++d) {
    std::vector<double> out(4, 0.0), residual(4);
    const double accept = AcceptProbability(p, {}, d);
    EXPECT_DOUBLE_EQ(accept, p[d]);
    out[d] += accept;
    ResidualDistribution(p, {}, d, residual);
    for (int x = 0; x < 4; ++x) out[x] += (1 - accept) * residual[x];
    for (int x = 0; x < 4; ++x) EXPECT_NEAR(out[x], p[x], 1e-9);
  }
}

GenerateResult Generate(Engine& engine, const std::vector<int>& prompt, int max_tokens,
                        SpeculationOptions speculation, SamplingOptions sampling = {}) {
  GenerateOptions request;
  request.prompt = prompt;
  request.max_tokens = max_tokens;
  request.sampling = sampling;
  request.speculation = std::move(speculation);
  request.stop_at_eos = false;
  auto result = engine.Generate(request);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : GenerateResult{};
}

SpeculationOptions WithDraftModel(int k) {
  return {SpeculationOptions::Mode::kDraftModel, Draft(), k, 3};
}
SpeculationOptions WithNgram(int k, int n = 3) {
  return {SpeculationOptions::Mode::kNgram, nullptr, k, n};
}

// Greedy speculation must give exactly what the target alone gives, whatever the drafter, for
// every draft length. The sweep runs on the small bard model as the target (fast under the
// sanitizers), drafted by its own Q4_0 copy (agrees often, not always) and by n-gram lookup.
TEST(SpeculativeGreedy, MatchesTargetAloneForEveryDraftLength) {
  testing::TempFile file("draft_q4_0.gguf");
  const auto q4_copy =
      testing::QuantizedCopy(testing::ModelPath("bard-draft-0.5m.gguf"), TensorType::kQ4_0, file);
  Engine engine(Draft(), {});
  const int kTokens = 32;
  int64_t accepted = 0, drafted = 0;
  for (const char* text : {"ROMEO:", "JULIET:\nO Romeo, Romeo", "First Citizen:\nWe are"}) {
    const auto prompt = *Draft()->tokenizer().Encode(text);
    const auto alone = Generate(engine, prompt, kTokens, {}).tokens;
    ASSERT_EQ(alone.size(), static_cast<size_t>(kTokens));
    for (int k = 1; k <= 8; ++k) {
      const SpeculationOptions by_model{SpeculationOptions::Mode::kDraftModel, q4_copy, k, 3};
      const auto drafted_result = Generate(engine, prompt, kTokens, by_model);
      EXPECT_EQ(drafted_result.tokens, alone) << text << " draft model k=" << k;
      const auto ngram_result = Generate(engine, prompt, kTokens, WithNgram(k));
      EXPECT_EQ(ngram_result.tokens, alone) << text << " ngram k=" << k;
      if (k % 3 == 0) {  // adaptive draft length: stop at doubtful draft tokens
        SpeculationOptions adaptive = by_model;
        adaptive.min_draft_probability = 0.5f;
        EXPECT_EQ(Generate(engine, prompt, kTokens, adaptive).tokens, alone) << "adaptive k=" << k;
      }
      for (const auto* r : {&drafted_result, &ngram_result}) {
        accepted += r->speculation.accepted_tokens;
        drafted += r->speculation.draft_tokens;
      }
    }
  }
  EXPECT_GT(accepted, 0);        // whole drafts were accepted (the bonus-token path) ...
  EXPECT_LT(accepted, drafted);  // ... and some rejected (the replacement path)
}

// The real pair: bard-target drafted by bard-draft, and by n-gram lookup.
TEST(SpeculativeGreedy, BardPairMatchesTargetAlone) {
  Engine engine(Target(), {});
  const auto prompt = *Target()->tokenizer().Encode("ROMEO:");
  const auto alone = Generate(engine, prompt, 24, {}).tokens;
  for (int k : {1, 4, 8}) {
    EXPECT_EQ(Generate(engine, prompt, 24, WithDraftModel(k)).tokens, alone) << "k=" << k;
    EXPECT_EQ(Generate(engine, prompt, 24, WithNgram(k)).tokens, alone) << "k=" << k;
  }
}

TEST(SpeculativeGreedy, StatisticsAddUp) {
  Engine engine(Target(), {});
  const auto prompt = *Target()->tokenizer().Encode("ROMEO:");
  const auto result = Generate(engine, prompt, 60, WithNgram(4));
  const SpeculationStats& s = result.speculation;
  ASSERT_GT(s.rounds, 0);
  EXPECT_EQ(s.accepted_at_position.size(), 4u);
  // Position i+1 can only be accepted when position i was.
  for (size_t i = 1; i < s.accepted_at_position.size(); ++i) {
    EXPECT_LE(s.accepted_at_position[i], s.accepted_at_position[i - 1]);
  }
  EXPECT_EQ(
      std::accumulate(s.accepted_at_position.begin(), s.accepted_at_position.end(), int64_t{0}),
      s.accepted_tokens);
  EXPECT_DOUBLE_EQ(s.mean_accepted_length(), static_cast<double>(s.accepted_tokens) / s.rounds + 1);
}

TEST(SpeculativeSampling, SameSeedSameOutput) {
  Engine engine(Target(), {});
  const auto prompt = *Target()->tokenizer().Encode("ROMEO:");
  const SamplingOptions sampling{.temperature = 0.9f, .top_k = 40, .top_p = 0.95f, .seed = 11};
  for (const auto& speculation : {SpeculationOptions{}, WithDraftModel(4), WithNgram(4)}) {
    const auto first = Generate(engine, prompt, 30, speculation, sampling);
    const auto second = Generate(engine, prompt, 30, speculation, sampling);
    EXPECT_EQ(first.tokens, second.tokens);
  }
}

// Chi-square over the first generated token: speculative sampling with top_k = 8 must draw from
// the target's own top-8 distribution. The target is the small bard model and the drafter a
// random model with the same vocabulary (so drafts are often rejected) or n-gram lookup.
double ChiSquare(const std::vector<int>& counts, const std::vector<double>& p, int n) {
  double chi = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " is outside the target's top-k";
      continue;
    }
    const double expected = p[i] * n;
    chi += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi;
}

TEST(SpeculativeSampling, FirstTokenFollowsTargetDistribution) {
  testing::TempFile file("tiny_drafter.gguf");
  const auto drafter_model = testing::TinyModel(file, &Draft()->tokenizer().vocab());
  const auto target = Draft();
  const auto prompt = *target->tokenizer().Encode("KING: the king, the king");
  const SamplingOptions base{.temperature = 1.0f, .top_k = 8, .top_p = 1.0f, .seed = 0};

  // The exact target distribution after top-k, from the target's logits.
  ThreadPool pool(1);
  Session session(target, pool);
  ASSERT_TRUE(session.Forward(prompt, 1).ok());
  Sampler sampler(base, target->config().vocab_size);
  std::vector<double> p(target->config().vocab_size);
  sampler.Distribution(session.logits(0), p);

  // A poor drafter (a random model: frequent rejections) and n-gram lookup (point proposals).
  const std::vector<SpeculationOptions> drafters = {
      {SpeculationOptions::Mode::kDraftModel, drafter_model, 3, 3}, WithNgram(3, 2)};
  for (const auto& speculation : drafters) {
    Engine engine(target, {});
    const int kSamples = 700;
    std::vector<int> counts(p.size(), 0);
    int64_t drafted = 0, accepted = 0;
    for (int i = 0; i < kSamples; ++i) {
      SamplingOptions sampling = base;
      sampling.seed = 1000 + i;
      const auto result = Generate(engine, prompt, 2, speculation, sampling);
      ASSERT_FALSE(result.tokens.empty());
      ++counts[result.tokens[0]];
      drafted += result.speculation.draft_tokens;
      accepted += result.speculation.accepted_tokens;
    }
    EXPECT_GT(drafted, 0);
    EXPECT_LT(accepted, drafted);  // rejections happened, so the resample path was exercised
    // 7 degrees of freedom: P(chi2 > 24.32) = 0.001.
    EXPECT_LT(ChiSquare(counts, p, kSamples), 24.32);
  }
}

}  // namespace
}  // namespace cascade::engine
