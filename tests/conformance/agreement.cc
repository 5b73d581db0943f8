#include "tests/conformance/agreement.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/inference/engine/engine.h"
#include "services/inference/engine/logprobs.h"
#include "services/inference/engine/session.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::conformance {

using engine::LogprobCalculator;
using engine::Model;

void Differences::Add(double difference) {
  max = std::max(max, difference);
  sum += difference;
  ++count;
}

absl::StatusOr<std::vector<std::vector<float>>> TeacherForcedLogits(
    std::shared_ptr<const Model> model, int bos, const std::vector<int>& prompt_ids,
    const std::vector<int>& tokens) {
  if (tokens.empty() || tokens.size() > engine::Session::kMaxBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("teacher forcing takes 1 to ", engine::Session::kMaxBatch, " tokens"));
  }
  std::vector<int> sequence = {bos};
  sequence.insert(sequence.end(), prompt_ids.begin(), prompt_ids.end());
  sequence.insert(sequence.end(), tokens.begin(), tokens.end() - 1);
  const int rows = static_cast<int>(tokens.size());
  engine::ThreadPool pool(1);
  engine::Session session(std::move(model), pool);
  if (auto status = session.Forward(sequence, rows); !status.ok()) return status;
  std::vector<std::vector<float>> logits;
  for (int row = 0; row < rows; ++row) {
    logits.emplace_back(session.logits(row).begin(), session.logits(row).end());
  }
  return logits;
}

absl::StatusOr<std::vector<int>> GreedyTokens(std::shared_ptr<const Model> model,
                                              const std::vector<int>& prompt, int max_tokens) {
  engine::Engine engine(std::move(model), {.threads = 1});
  engine::GenerateOptions request;
  request.prompt = prompt;
  request.max_tokens = max_tokens;
  request.stop_at_eos = false;
  auto result = engine.Generate(request);
  if (!result.ok()) return result.status();
  return std::move(result->tokens);
}

absl::StatusOr<AgreementReport> CompareWithReference(std::shared_ptr<const Model> model,
                                                     const ReferenceModel& reference,
                                                     double tolerance, double near_tie) {
  if (reference.bos != model->tokenizer().bos_id()) {
    return absl::InvalidArgumentError(absl::StrCat("the reference's BOS is ", reference.bos,
                                                   ", the model's ", model->tokenizer().bos_id()));
  }
  LogprobCalculator calculator(model->config().vocab_size);
  AgreementReport report;
  for (size_t p = 0; p < reference.prompts.size(); ++p) {
    const ReferenceContinuation& expected = reference.prompts[p];
    const std::string where = absl::StrCat("prompt ", p, " (", expected.text, ")");
    auto violation = [&](int position, auto&&... parts) {
      report.violations.push_back(absl::StrCat(where, " position ", position, ": ", parts...));
    };
    // Both engines are fed BOS + the prompt, as the reference script does, whether or not the
    // model adds BOS itself (Qwen's do not); our Encode adds it only where the model asks.
    std::vector<int> prompt = {reference.bos};
    prompt.insert(prompt.end(), expected.prompt_ids.begin(), expected.prompt_ids.end());
    const std::vector<int> expected_ids(prompt.begin() + (model->tokenizer().add_bos() ? 0 : 1),
                                        prompt.end());
    auto encoded = model->tokenizer().Encode(expected.text);
    if (!encoded.ok()) return encoded.status();
    if (*encoded != expected_ids) {
      report.violations.push_back(absl::StrCat(where, ": we tokenize it as ",
                                               absl::StrJoin(*encoded, ","), ", the reference as ",
                                               absl::StrJoin(expected_ids, ",")));
    }
    auto logits = TeacherForcedLogits(model, reference.bos, expected.prompt_ids, expected.tokens);
    if (!logits.ok()) return logits.status();

    const int n = static_cast<int>(expected.tokens.size());
    int first_divergence = n;
    std::vector<int> ours;  // our teacher-forced argmax at each position
    for (int i = 0; i < n; ++i) {
      ++report.positions;
      const auto& top = expected.top[i];
      if (top.size() < 2) return absl::InvalidArgumentError("the reference's top lists need 2");
      for (const auto& [token, logprob] : top) {
        const double ours_logprob = calculator.Compute((*logits)[i], token, 0).logprob;
        const double difference = std::abs(ours_logprob - logprob);
        report.logprobs.Add(difference);
        if (!(difference <= tolerance)) {
          violation(i, "token ", token, " logprob ", ours_logprob, ", the reference's ", logprob,
                    " (tolerance ", tolerance, ")");
        }
      }
      const auto our_top = calculator.Compute((*logits)[i], expected.tokens[i], 2).top;
      ours.push_back(our_top[0].token);
      if (our_top[0].token == expected.tokens[i]) {
        ++report.agreed;
        continue;
      }
      ++report.divergences;
      first_divergence = std::min(first_divergence, i);
      const double reference_gap = std::abs(top[0].second - top[1].second);
      const double our_gap = our_top[0].logprob - our_top[1].logprob;
      if (!(reference_gap < near_tie && our_gap < near_tie)) {
        violation(i, "we chose ", our_top[0].token, ", the reference ", expected.tokens[i],
                  " and that is no near-tie (top-two gap ", our_gap, " here, ", reference_gap,
                  " there; a divergence needs both under ", near_tie, ")");
      }
    }
    // The request API's greedy output equals the reference's up to the first divergence, and
    // our teacher-forced choice there.
    std::vector<int> agreed_prefix(expected.tokens.begin(),
                                   expected.tokens.begin() + first_divergence);
    if (first_divergence < n) agreed_prefix.push_back(ours[first_divergence]);
    auto generated = GreedyTokens(model, prompt, static_cast<int>(agreed_prefix.size()));
    if (!generated.ok()) return generated.status();
    if (*generated != agreed_prefix) {
      report.violations.push_back(
          absl::StrCat(where, ": Engine::Generate's greedy tokens ", absl::StrJoin(*generated, ","),
                       " are not the teacher-forced ones ", absl::StrJoin(agreed_prefix, ",")));
    }
  }
  return report;
}

absl::StatusOr<ReferenceModel> OwnReference(std::shared_ptr<const Model> model,
                                            const std::vector<std::string>& prompts, int tokens,
                                            int top) {
  ReferenceModel reference;
  reference.path = model->path();
  reference.bos = model->tokenizer().bos_id();
  LogprobCalculator calculator(model->config().vocab_size);
  for (const std::string& text : prompts) {
    auto prompt = model->tokenizer().Encode(text);
    if (!prompt.ok()) return prompt.status();
    auto greedy = GreedyTokens(model, *prompt, tokens);
    if (!greedy.ok()) return greedy.status();
    ReferenceContinuation& continuation = reference.prompts.emplace_back();
    continuation.text = text;
    continuation.prompt_ids.assign(prompt->begin() + 1, prompt->end());
    continuation.tokens = *greedy;
    auto logits = TeacherForcedLogits(model, reference.bos, continuation.prompt_ids, *greedy);
    if (!logits.ok()) return logits.status();
    for (const auto& row : *logits) {
      auto& entry = continuation.top.emplace_back();
      for (const auto& [token, logprob] : calculator.Compute(row, 0, top).top) {
        entry.emplace_back(token, logprob);
      }
    }
  }
  return reference;
}

}  // namespace cascade::conformance
