#include "services/inference/engine/speculation_choice.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/strings/str_format.h"
#include "services/inference/engine/device.h"
#include "services/inference/engine/transformer.h"

namespace cascade::engine {
namespace {

// Seconds of one Forward of `n` tokens from an empty cache: the median of `repeats`.
absl::StatusOr<double> TimeForward(ForwardPass& pass, int n, int repeats) {
  // Ordinary ids past the low special and byte tokens, as the benchmarks use.
  const int vocab = static_cast<int>(pass.logits(0).size());
  std::vector<int> tokens(n);
  for (int i = 0; i < n; ++i) tokens[i] = vocab / 8 + i;
  std::vector<double> seconds;
  for (int run = 0; run <= repeats; ++run) {
    pass.Truncate(0);
    const auto start = std::chrono::steady_clock::now();
    if (auto status = pass.Forward(tokens, n); !status.ok()) return status;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (run > 0) seconds.push_back(elapsed);  // run 0 warms the caches up
  }
  std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
  return seconds[seconds.size() / 2];
}

}  // namespace

absl::StatusOr<PassCosts> MeasurePassCosts(std::shared_ptr<const Model> model, Device device,
                                           int threads, int draft_tokens, int repeats) {
  if (draft_tokens < 1 || draft_tokens > kMaxDraftTokens || repeats < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cannot measure %d draft tokens in %d runs", draft_tokens, repeats));
  }
  ThreadPool pool(threads);
  auto pass = CreateForwardPass(model, device, pool, draft_tokens + 1);
  if (!pass.ok()) return pass.status();
  PassCosts costs{.draft_tokens = draft_tokens};
  auto step = TimeForward(**pass, 1, repeats);
  if (!step.ok()) return step.status();
  auto verify = TimeForward(**pass, draft_tokens + 1, repeats);
  if (!verify.ok()) return verify.status();
  // A clock too coarse for a tiny model must not divide by zero.
  costs.step_seconds = std::max(*step, 1e-9);
  costs.verify_seconds = std::max(*verify, 1e-9);
  return costs;
}

double ExpectedSpeedup(double acceptance, int k, double draft_ratio, double verify_ratio) {
  // Tokens per round: 1 + a + ... + a^k; its limit k + 1 at a = 1.
  double tokens = 0;
  double power = 1;
  for (int i = 0; i <= k; ++i) {
    tokens += power;
    power *= acceptance;
  }
  return tokens / (k * draft_ratio + verify_ratio);
}

SpeculationChoice ChooseSpeculation(const PassCosts& target, const PassCosts* draft) {
  SpeculationChoice choice;
  const int k = target.draft_tokens;
  choice.verify_ratio = target.verify_ratio();
  if (draft != nullptr) {
    choice.draft_ratio = draft->step_seconds / target.step_seconds;
    if (ExpectedSpeedup(1.0, k, choice.draft_ratio, choice.verify_ratio) <= 1.0) {
      choice.break_even_acceptance = 2.0;  // not even perfect drafts pay
    } else {
      // The speedup grows with the acceptance: bisect for where it crosses 1.
      double low = 0, high = 1;
      for (int i = 0; i < 50; ++i) {
        const double mid = (low + high) / 2;
        (ExpectedSpeedup(mid, k, choice.draft_ratio, choice.verify_ratio) < 1.0 ? low : high) = mid;
      }
      choice.break_even_acceptance = high;
    }
    if (choice.break_even_acceptance <= kMaxBreakEvenAcceptance) {
      choice.mode = SpeculationOptions::Mode::kDraftModel;
      choice.reason = absl::StrFormat(
          "the draft model pays from a per-token acceptance of %.2f (r = %.2f, c = %.3f)",
          choice.break_even_acceptance, choice.verify_ratio, choice.draft_ratio);
      return choice;
    }
  }
  if (choice.verify_ratio <= kMaxNgramVerifyRatio) {
    choice.mode = SpeculationOptions::Mode::kNgram;
    choice.reason = absl::StrFormat(
        "verifying %d tokens costs %.2f steps (at most %.1f): n-gram lookup pays when the "
        "context repeats%s",
        k + 1, choice.verify_ratio, kMaxNgramVerifyRatio,
        draft == nullptr ? ""
                         : absl::StrFormat("; the draft model would need an acceptance of %.2f",
                                           choice.break_even_acceptance));
    return choice;
  }
  choice.mode = SpeculationOptions::Mode::kNone;
  choice.reason = absl::StrFormat(
      "verifying %d tokens costs %.2f steps (more than %.1f)%s: speculation would slow it down",
      k + 1, choice.verify_ratio, kMaxNgramVerifyRatio,
      draft == nullptr ? ""
                       : absl::StrFormat(" and the draft model would need an acceptance of %.2f",
                                         choice.break_even_acceptance));
  return choice;
}

absl::StatusOr<PassCurve> MeasurePassCurve(std::shared_ptr<const Model> model, int threads,
                                           int repeats) {
  if (repeats < 1) {
    return absl::InvalidArgumentError(absl::StrFormat("cannot measure in %d runs", repeats));
  }
  const int most = std::min(Transformer::kMaxBatch, model->config().context_length);
  ThreadPool pool(threads);
  auto pass = CreateForwardPass(model, Device::kCpu, pool, most);
  if (!pass.ok()) return pass.status();
  PassCurve curve;
  for (int n = 1;; n = std::min(2 * n, most)) {
    auto seconds = TimeForward(**pass, n, repeats);
    if (!seconds.ok()) return seconds.status();
    curve.tokens.push_back(n);
    curve.seconds.push_back(std::max(*seconds, 1e-9));
    if (n == most) break;
  }
  return curve;
}

BatchSpeculationChoice ChooseBatchSpeculation(const PassCurve& curve) {
  BatchSpeculationChoice choice;
  const double limit = kMaxNgramVerifyRatio * curve.seconds.front();
  choice.draft_step_tokens = curve.tokens.back();
  for (size_t i = 1; i < curve.tokens.size(); ++i) {
    if (curve.seconds[i] <= limit) continue;
    // The first point past the limit: interpolate from the one before, which is within it.
    const double share = (limit - curve.seconds[i - 1]) / (curve.seconds[i] - curve.seconds[i - 1]);
    choice.draft_step_tokens =
        curve.tokens[i - 1] + static_cast<int>(share * (curve.tokens[i] - curve.tokens[i - 1]));
    break;
  }
  if (choice.draft_step_tokens >= 2) {
    choice.mode = SpeculationOptions::Mode::kNgram;
    choice.reason = absl::StrFormat(
        "a pass of up to %d tokens costs at most %.1f steps: n-gram drafts join a step while it "
        "holds at most that many tokens",
        choice.draft_step_tokens, kMaxNgramVerifyRatio);
  } else {
    choice.reason = absl::StrFormat(
        "a pass of 2 tokens costs more than %.1f steps: speculation in the batch would slow it "
        "down",
        kMaxNgramVerifyRatio);
  }
  return choice;
}

}  // namespace cascade::engine
