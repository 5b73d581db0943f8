#include "services/inference/engine/continuous_batcher.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/ngram_drafter.h"
#include "services/inference/engine/speculative.h"

namespace cascade::engine {
namespace {

// Shared prefixes shorter than this do not decide which slot a request takes.
constexpr int kMinPreferredPrefix = 16;

// One sequence's rows of the step's logits.
class RowsOf : public LogitRows {
 public:
  RowsOf(const float* first, int vocab) : first_(first), vocab_(vocab) {}
  std::span<const float> logits(int row) const override {
    return {first_ + static_cast<size_t>(row) * vocab_, static_cast<size_t>(vocab_)};
  }

 private:
  const float* first_;
  int vocab_;
};

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
  // Speculation: the drafter (null when the request does not speculate), its drafts of this
  // step in scratch.draft, and the sequence's first row of logits this step.
  std::unique_ptr<Drafter> drafter;
  DecodeScratch scratch;
  SpeculationStats speculation;
  int first_row = 0;
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
  if (options.draft_step_tokens < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("draft_step_tokens must be >= 0, got ", options.draft_step_tokens));
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
      draft_step_tokens_(options.draft_step_tokens),
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
  if (options.speculation.mode == SpeculationOptions::Mode::kDraftModel) {
    return absl::InvalidArgumentError(
        "speculation by draft model is not available for a model that decodes requests in a "
        "batch (max_sequences > 1); ask for n-gram speculation or none");
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
  if (sequence->options.speculation.mode == SpeculationOptions::Mode::kNgram) {
    sequence->drafter = std::make_unique<NgramDrafter>(sequence->options.speculation.ngram_size);
  }
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

  // Every decoding sequence's one token, then prompts in order of arrival within the budget;
  // drafts fill what room draft_step_tokens leaves after them.
  std::vector<size_t> takes(order.size());
  int prefill_budget = prefill_chunk_;
  int planned = 0;
  StepResult step;
  for (size_t i = 0; i < order.size(); ++i) {
    const Sequence& s = *order[i]->sequence;
    const size_t remaining = s.pending.size() - s.next;
    takes[i] = remaining == 1 ? 1 : std::min<size_t>(remaining, std::max(0, prefill_budget));
    if (remaining > 1) prefill_budget -= static_cast<int>(takes[i]);
    planned += static_cast<int>(takes[i]);
  }
  int draft_budget = std::max(0, draft_step_tokens_ - planned);
  batch_.clear();
  wants_logits_.clear();
  rows_ = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (takes[i] == 0) continue;
    if (auto status = Enqueue(*order[i], takes[i], draft_budget); !status.ok()) {
      Fail(*order[i], status);
      continue;
    }
    ++step.sequences;
  }
  if (batch_.empty()) return step;

  const int vocab = model().config().vocab_size;
  if (logits_.size() < static_cast<size_t>(rows_) * vocab) {
    logits_.resize(static_cast<size_t>(rows_) * vocab);
  }
  int rows = 0;
  for (size_t begin = 0; begin < batch_.size(); begin += Transformer::kMaxBatch) {
    const size_t end = std::min(batch_.size(), begin + Transformer::kMaxBatch);
    const std::span<const BatchToken> chunk(batch_.data() + begin, end - begin);
    transformer_.Forward(chunk, logits_.data() + static_cast<size_t>(rows) * vocab);
    for (const BatchToken& token : chunk) rows += token.wants_logits;
  }
  ++stats_.steps;
  stats_.step_tokens += static_cast<int64_t>(batch_.size());

  for (Slot* slot : wants_logits_) {
    step.draft_tokens += static_cast<int>(slot->sequence->scratch.draft.tokens.size());
    if (!Settle(*slot)) Finish(*slot);
  }
  step.tokens = static_cast<int>(batch_.size());
  return step;
}

absl::Status ContinuousBatcher::Enqueue(Slot& slot, size_t take, int& draft_budget) {
  Sequence& s = *slot.sequence;
  const size_t begin = s.next;
  s.next += take;
  slot.tokens.insert(slot.tokens.end(), s.pending.begin() + begin, s.pending.begin() + s.next);
  const bool last = s.next == s.pending.size();
  DraftProposal& draft = s.scratch.draft;
  draft.Clear();
  if (last && s.drafter != nullptr) {
    // Drafts beyond the tokens still wanted are wasted; all must fit the context.
    const int remaining = s.options.max_tokens - s.output.generated();
    const int room = context_length_ - static_cast<int>(slot.tokens.size());
    const int k =
        std::min({s.options.speculation.max_draft_tokens, remaining - 1, room, draft_budget});
    if (auto status = ProposeDrafts(s.drafter.get(), k, s.sampler, slot.tokens, s.scratch);
        !status.ok()) {
      slot.tokens.resize(slot.tokens.size() - take);
      return status;
    }
    draft_budget -= static_cast<int>(draft.tokens.size());
    slot.tokens.insert(slot.tokens.end(), draft.tokens.begin(), draft.tokens.end());
  }
  for (size_t i = begin; i < s.next; ++i) {
    batch_.push_back(
        {.token = s.pending[i], .cache = &slot.cache, .wants_logits = last && i + 1 == s.next});
  }
  for (int token : draft.tokens) {
    batch_.push_back({.token = token, .cache = &slot.cache, .wants_logits = true});
  }
  if (last) {
    s.first_row = rows_;
    rows_ += 1 + static_cast<int>(draft.tokens.size());
    wants_logits_.push_back(&slot);
  }
  return absl::OkStatus();
}

bool ContinuousBatcher::Settle(Slot& slot) {
  Sequence& s = *slot.sequence;
  const int vocab = model().config().vocab_size;
  const RowsOf rows(logits_.data() + static_cast<size_t>(s.first_row) * vocab, vocab);
  emitted_.clear();
  const int drafts = static_cast<int>(s.scratch.draft.tokens.size());
  const int accepted = AcceptDrafts(rows, s.sampler, s.scratch, emitted_, s.speculation);
  stats_.draft_tokens += drafts;
  stats_.accepted_tokens += accepted;
  // The cache keeps the last token and the accepted drafts; the token emitted last runs next.
  const int keep = static_cast<int>(slot.tokens.size()) - (drafts - accepted);
  slot.cache.Truncate(keep);
  slot.tokens.resize(keep);
  for (size_t j = 0; j < emitted_.size(); ++j) {
    const auto logits =
        s.output.wants_logits() ? rows.logits(static_cast<int>(j)) : std::span<const float>();
    if (!s.output.Push(emitted_[j], logits, logprob_calculator_, s.on_token)) return false;
  }
  s.pending.assign(1, emitted_.back());
  s.next = 0;
  return true;
}

void ContinuousBatcher::Finish(Slot& slot) {
  GenerateResult result = slot.sequence->output.Finish();
  result.speculation = std::move(slot.sequence->speculation);
  DoneFn done = std::move(slot.sequence->on_done);
  slot.sequence.reset();
  slot.last_used = ++clock_;
  --active_;
  done(std::move(result));
}

void ContinuousBatcher::Fail(Slot& slot, absl::Status status) {
  DoneFn done = std::move(slot.sequence->on_done);
  slot.sequence.reset();
  // What the cache holds past the tokens recorded is unknown; keep only those.
  slot.cache.Truncate(static_cast<int>(slot.tokens.size()));
  slot.last_used = ++clock_;
  --active_;
  done(std::move(status));
}

}  // namespace cascade::engine
