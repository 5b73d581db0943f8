#include "services/inference/engine/draft_model_drafter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace cascade::engine {

absl::Status CheckSameVocabulary(const Model& draft, const Model& target) {
  const Tokenizer& a = draft.tokenizer();
  const Tokenizer& b = target.tokenizer();
  auto mismatch = [&](const std::string& detail) {
    return absl::InvalidArgumentError(
        absl::StrCat("draft model '", draft.name(), "' cannot draft for '", target.name(),
                     "': speculative decoding needs the same vocabulary, but ", detail));
  };
  if (a.vocab_size() != b.vocab_size()) {
    return mismatch(
        absl::StrCat("the draft has ", a.vocab_size(), " tokens and the target ", b.vocab_size()));
  }
  for (int id = 0; id < a.vocab_size(); ++id) {
    if (a.token_text(id) != b.token_text(id)) {
      return mismatch(absl::StrCat("token ", id, " is '", a.token_text(id), "' in the draft and '",
                                   b.token_text(id), "' in the target"));
    }
  }
  if (a.bos_id() != b.bos_id() || a.eos_id() != b.eos_id()) {
    return mismatch("their BOS/EOS token ids differ");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<DraftModelDrafter>> DraftModelDrafter::Create(
    std::shared_ptr<const Model> draft, const Model& target, ThreadPool& pool) {
  if (draft == nullptr) return absl::InvalidArgumentError("no draft model given");
  if (auto status = CheckSameVocabulary(*draft, target); !status.ok()) return status;
  return std::unique_ptr<DraftModelDrafter>(new DraftModelDrafter(std::move(draft), pool));
}

absl::Status DraftModelDrafter::Propose(std::span<const int> context, int max_tokens,
                                        Sampler& sampler, DraftProposal& out) {
  out.Clear();
  out.vocab_size = session_.model().config().vocab_size;
  const int length = static_cast<int>(context.size());
  // Keep the cached prefix that still matches (it may end in drafts the target rejected), but
  // always feed at least the last token: its logits are what the first draft comes from.
  const auto mismatch =
      std::mismatch(cached_.begin(), cached_.end(), context.begin(), context.end());
  const int keep = std::min<int>(static_cast<int>(mismatch.first - cached_.begin()), length - 1);
  session_.Truncate(keep);
  cached_.resize(keep);
  // The draft model may have a shorter context than the target; then it simply stops drafting.
  const int room = session_.context_length() - length;
  max_tokens = std::min(max_tokens, room + 1);
  if (max_tokens <= 0) return absl::OkStatus();
  if (auto s = session_.Forward(context.subspan(keep), 1); !s.ok()) return s;
  cached_.assign(context.begin(), context.end());

  for (int i = 0; i < max_tokens; ++i) {
    std::span<const float> logits = session_.logits(0);
    // Adaptive length: stop where the draft model is unsure of even its best token. The test
    // looks only at the draft's state, never at the token it then draws, so a shortened
    // proposal is still an honest one and the output distribution stays the target's.
    if (min_probability_ > 0) {
      const float best = logits[Argmax(logits)];
      double sum = 0;
      for (float logit : logits) sum += std::exp(logit - best);
      if (1.0 / sum < min_probability_) break;
    }
    int token;
    if (sampler.greedy()) {
      token = Argmax(logits);  // deterministic: no q rows needed
    } else {
      out.q.resize(out.q.size() + out.vocab_size);
      std::span<double> q(out.q.data() + out.q.size() - out.vocab_size, out.vocab_size);
      sampler.Distribution(logits, q);
      token = sampler.SampleFrom(q);
    }
    out.tokens.push_back(token);
    if (i + 1 == max_tokens) break;  // the last draft need not be fed
    if (auto s = session_.Forward({&token, 1}, 1); !s.ok()) return s;
    cached_.push_back(token);
  }
  return absl::OkStatus();
}

}  // namespace cascade::engine
