#include "services/inference/engine/continuous_batcher.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace cascade::engine {
namespace {

// Shared prefixes shorter than this do not decide which slot a request takes.
constexpr int kMinPreferredPrefix = 16;

}  // namespace

struct ContinuousBatcher::Sequence {
  Sequence(GenerateOptions request, TokenFn token_fn, DoneFn done_fn, const Model& model,
           uint64_t admitted_at)
      : options(std::move(request)),
        on_token(std::move(token_fn)),
        on_done(std::move(done_fn)),
        sampler(options.sampling, model.config().vocab_size),
        output(options, model.tokenizer(), std::chrono::steady_clock::now()),
        admitted(admitted_at) {}

  GenerateOptions options;
  TokenFn on_token;
  DoneFn on_done;
  Sampler sampler;
  GenerationOutput output;
  uint64_t admitted;
  // Tokens still to run through the model: the rest of the prompt, later the token sampled
  // last. The logits after the last of them give the next token.
  std::vector<int> pending;
  size_t next = 0;  // first of `pending` not yet run
};

ContinuousBatcher::Slot::Slot(KvCache kv) : cache(std::move(kv)) {}

absl::StatusOr<std::unique_ptr<ContinuousBatcher>> ContinuousBatcher::Create(
    std::shared_ptr<const Model> model, const BatcherOptions& options) {
  if (options.max_sequences < 1 || options.max_sequences > kMaxSequences) {
    return absl::InvalidArgumentError(absl::StrCat("max_sequences must be between 1 and ",
                                                   kMaxSequences, ", got ", options.max_sequences));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads must be at least 1, got ", options.threads));
  }
  if (options.prefill_chunk < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefill_chunk must be at least 1, got ", options.prefill_chunk));
  }
  if (options.context_length < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("context_length must be >= 0, got ", options.context_length));
  }
  const int model_context = model->config().context_length;
  const int context =
      options.context_length > 0 ? std::min(options.context_length, model_context) : model_context;
  return std::unique_ptr<ContinuousBatcher>(
      new ContinuousBatcher(std::move(model), options, context));
}

ContinuousBatcher::ContinuousBatcher(std::shared_ptr<const Model> model,
                                     const BatcherOptions& options, int context_length)
    : pool_(options.threads),
      context_length_(context_length),
      prefill_chunk_(options.prefill_chunk),
      transformer_(std::move(model), pool_, context_length),
      logprob_calculator_(transformer_.model().config().vocab_size),
      logits_(static_cast<size_t>(options.max_sequences) *
              transformer_.model().config().vocab_size) {
  slots_.reserve(options.max_sequences);
  for (int i = 0; i < options.max_sequences; ++i) {
    slots_.emplace_back(transformer_.NewCache(context_length));
  }
}

ContinuousBatcher::~ContinuousBatcher() {
  for (Slot& slot : slots_) {
    if (slot.sequence == nullptr) continue;
    DoneFn done = std::move(slot.sequence->on_done);
    slot.sequence.reset();
    done(absl::UnavailableError("the model is shutting down"));
  }
}

double ContinuousBatcher::cache_usage() const {
  int64_t held = 0;
  for (const Slot& slot : slots_) {
    if (slot.sequence != nullptr) held += slot.cache.size();
  }
  return static_cast<double>(held) / (static_cast<double>(slots_.size()) * context_length_);
}

std::pair<ContinuousBatcher::Slot*, int> ContinuousBatcher::ChooseSlot(
    const std::vector<int>& prompt) const {
  const Slot* best = nullptr;
  int best_rank = -1;
  int best_keep = 0;
  // The last prompt token always runs: its logits give the first generated token.
  const size_t most = prompt.size() - 1;
  for (const Slot& slot : slots_) {
    if (slot.sequence != nullptr) continue;
    const size_t limit = std::min(most, slot.tokens.size());
    const int keep = static_cast<int>(
        std::mismatch(prompt.begin(), prompt.begin() + limit, slot.tokens.begin()).first -
        prompt.begin());
    // A short match (a BOS, a template's header) saves little and would cost the slot's whole
    // cache: such slots rank as no match, so the least recently used one is given up.
    const int rank = keep >= kMinPreferredPrefix ? keep : 0;
    if (rank > best_rank || (rank == best_rank && slot.last_used < best->last_used)) {
      best = &slot;
      best_rank = rank;
      best_keep = keep;
    }
  }
  return {const_cast<Slot*>(best), best_keep};
}

absl::Status ContinuousBatcher::Add(GenerateOptions options, TokenFn on_token, DoneFn on_done) {
  if (auto status = ValidateGenerateOptions(options, model(), context_length_); !status.ok()) {
    return status;
  }
  if (options.speculation.mode != SpeculationOptions::Mode::kNone) {
    return absl::InvalidArgumentError(
        "speculative decoding is not available for a model that decodes requests in a batch "
        "(max_sequences > 1) yet; ask for no speculation");
  }
  if (!has_free_slot()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", max_sequences(), " sequences of the batch are in use; wait for one to finish"));
  }
  auto [slot, keep] = ChooseSlot(options.prompt);
  slot->cache.Truncate(keep);
  slot->tokens.resize(keep);
  slot->last_used = ++clock_;
  stats_.prefix_reused_tokens += keep;
  stats_.prompt_tokens += static_cast<int64_t>(options.prompt.size());
  auto sequence = std::make_unique<Sequence>(std::move(options), std::move(on_token),
                                             std::move(on_done), model(), clock_);
  sequence->pending.assign(sequence->options.prompt.begin() + keep, sequence->options.prompt.end());
  slot->sequence = std::move(sequence);
  ++active_;
  return absl::OkStatus();
}

ContinuousBatcher::StepResult ContinuousBatcher::Step() {
  std::vector<Slot*> order;
  order.reserve(active_);
  for (Slot& slot : slots_) {
    if (slot.sequence != nullptr) order.push_back(&slot);
  }
  if (order.empty()) return {};
  std::sort(order.begin(), order.end(), [](const Slot* a, const Slot* b) {
    return a->sequence->admitted < b->sequence->admitted;
  });

  // Every decoding sequence's one token, then prompts in order of arrival within the budget.
  batch_.clear();
  wants_logits_.clear();
  int prefill_budget = prefill_chunk_;
  StepResult step;
  for (Slot* slot : order) {
    Sequence& s = *slot->sequence;
    const size_t remaining = s.pending.size() - s.next;
    const size_t take =
        remaining == 1 ? 1 : std::min<size_t>(remaining, std::max(0, prefill_budget));
    if (take == 0) continue;
    ++step.sequences;
    if (remaining > 1) prefill_budget -= static_cast<int>(take);
    for (size_t i = 0; i < take; ++i) {
      const int token = s.pending[s.next++];
      const bool last = s.next == s.pending.size();
      batch_.push_back({.token = token, .cache = &slot->cache, .wants_logits = last});
      slot->tokens.push_back(token);
      if (last) wants_logits_.push_back(slot);
    }
  }
  const int vocab = model().config().vocab_size;
  int rows = 0;
  for (size_t begin = 0; begin < batch_.size(); begin += Transformer::kMaxBatch) {
    const size_t end = std::min(batch_.size(), begin + Transformer::kMaxBatch);
    const std::span<const BatchToken> chunk(batch_.data() + begin, end - begin);
    transformer_.Forward(chunk, logits_.data() + static_cast<size_t>(rows) * vocab);
    for (const BatchToken& token : chunk) rows += token.wants_logits;
  }
  ++stats_.steps;
  stats_.step_tokens += static_cast<int64_t>(batch_.size());

  for (size_t row = 0; row < wants_logits_.size(); ++row) {
    Slot& slot = *wants_logits_[row];
    Sequence& s = *slot.sequence;
    const std::span<const float> logits(logits_.data() + row * vocab, vocab);
    const int token = s.sampler.greedy() ? Argmax(logits) : s.sampler.Sample(logits);
    const bool more =
        s.output.Push(token, s.output.wants_logits() ? logits : std::span<const float>(),
                      logprob_calculator_, s.on_token);
    if (!more) {
      Finish(slot);
      continue;
    }
    s.pending.assign(1, token);
    s.next = 0;
  }
  step.tokens = static_cast<int>(batch_.size());
  return step;
}

void ContinuousBatcher::Finish(Slot& slot) {
  GenerateResult result = slot.sequence->output.Finish();
  DoneFn done = std::move(slot.sequence->on_done);
  slot.sequence.reset();
  slot.last_used = ++clock_;
  --active_;
  done(std::move(result));
}

}  // namespace cascade::engine
