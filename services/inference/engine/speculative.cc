#include "services/inference/engine/speculative.h"

#include <algorithm>

namespace cascade::engine {

double AcceptProbability(std::span<const double> p, std::span<const double> q, int draft) {
  const double q_draft = q.empty() ? 1.0 : q[draft];
  if (q_draft <= 0) return 1.0;  // cannot happen for a token drawn from q; accept to be safe
  return std::min(1.0, p[draft] / q_draft);
}

void ResidualDistribution(std::span<const double> p, std::span<const double> q, int draft,
                          std::span<double> out) {
  double total = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double q_i = q.empty() ? (static_cast<int>(i) == draft ? 1.0 : 0.0) : q[i];
    out[i] = std::max(0.0, p[i] - q_i);
    total += out[i];
  }
  if (total <= 0) {
    std::copy(p.begin(), p.end(), out.begin());
    return;
  }
  for (double& value : out) value /= total;
}

absl::Status DecodeStep(ForwardPass& target, Drafter* drafter, int max_draft, Sampler& sampler,
                        std::span<const int> sequence, DecodeScratch& scratch,
                        std::vector<int>& emitted, SpeculationStats& stats) {
  if (auto s = ProposeDrafts(drafter, max_draft, sampler, sequence, scratch); !s.ok()) return s;
  const int k = static_cast<int>(scratch.draft.tokens.size());
  const int base = target.position();
  scratch.batch.assign(1, sequence.back());
  scratch.batch.insert(scratch.batch.end(), scratch.draft.tokens.begin(),
                       scratch.draft.tokens.end());
  if (auto s = target.Forward(scratch.batch, k + 1); !s.ok()) return s;
  const int accepted = AcceptDrafts(target, sampler, scratch, emitted, stats);
  // Keep the last token and the accepted drafts; the token emitted last is not in the cache yet.
  target.Truncate(base + 1 + accepted);
  return absl::OkStatus();
}

absl::Status ProposeDrafts(Drafter* drafter, int max_draft, Sampler& sampler,
                           std::span<const int> sequence, DecodeScratch& scratch) {
  scratch.draft.Clear();
  if (drafter == nullptr || max_draft <= 0) return absl::OkStatus();
  return drafter->Propose(sequence, max_draft, sampler, scratch.draft);
}

int AcceptDrafts(const LogitRows& target, Sampler& sampler, DecodeScratch& scratch,
                 std::vector<int>& emitted, SpeculationStats& stats) {
  const DraftProposal& draft = scratch.draft;
  const int k = static_cast<int>(draft.tokens.size());
  if (!sampler.greedy()) {
    const int vocab = static_cast<int>(target.logits(0).size());
    scratch.p.resize(vocab);
    scratch.residual.resize(vocab);
  }
  int accepted = 0;
  while (accepted < k) {
    const int token = draft.tokens[accepted];
    if (sampler.greedy()) {
      // p is all mass on the argmax: accept iff the draft is the argmax, else emit the argmax.
      const int best = target.ArgmaxRow(accepted);
      emitted.push_back(best);
      if (token != best) break;
    } else {
      const auto q = draft.deterministic() ? std::span<const double>() : draft.q_row(accepted);
      sampler.Distribution(target.logits(accepted), scratch.p);
      if (!(sampler.rng().Uniform() < AcceptProbability(scratch.p, q, token))) {
        ResidualDistribution(scratch.p, q, token, scratch.residual);
        emitted.push_back(sampler.SampleFrom(scratch.residual));
        break;
      }
      emitted.push_back(token);
    }
    ++accepted;
  }
  if (accepted == k) {  // the bonus token
    emitted.push_back(sampler.greedy() ? target.ArgmaxRow(k) : sampler.Sample(target.logits(k)));
  }
  if (k > 0) {
    ++stats.rounds;
    stats.draft_tokens += k;
    stats.accepted_tokens += accepted;
    if (static_cast<int>(stats.accepted_at_position.size()) < k) {
      stats.accepted_at_position.resize(k);
    }
    for (int i = 0; i < accepted; ++i) ++stats.accepted_at_position[i];
  }
  return accepted;
}

}  // namespace cascade::engine
