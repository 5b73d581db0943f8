// Continuous batching: many requests decode together on one model on the CPU. Every Step() is
// one forward pass that gives each active sequence its next token, so the weights are read once
// for all of them, and sequences join and leave between any two steps. Each sequence has its
// own slot of the KV cache, its own sampler, callback and limits; a long prompt is prefilled a
// chunk per step, so that the sequences already decoding keep their pace.
//
// A sequence gets exactly the tokens Engine gives the same request alone (greedy, or sampled
// with the same seed): the transformer computes each token's row independently of the batch,
// and each sequence draws from its own random stream.
//
// Slots keep what their cache holds after a request ends. A new request takes the free slot
// whose cache shares the longest prefix with its prompt, and reuses those positions (a shared
// system prompt, the self-check that follows an answer, a retry); without one of at least 16
// tokens, the least recently used free slot (any shorter shared prefix is still reused). The
// memory is max_sequences caches, allocated up front.
//
// One thread drives a batcher (Add and Step); its kernels use the batcher's own thread pool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/inference/engine/engine.h"
#include "services/inference/engine/generation_output.h"
#include "services/inference/engine/transformer.h"

namespace cascade::engine {

struct BatcherOptions {
  int threads = 1;
  int context_length = 0;  // per sequence; 0: the model's
  int max_sequences = 4;   // slots of the KV cache, 1 to kMaxSequences
  // Prompt tokens one step prefills, over all sequences: at most this many wait behind a
  // prompt, however long it is, before the decoding sequences get their next token.
  int prefill_chunk = Transformer::kMaxBatch;
  // Draft tokens join a step only while it holds at most this many tokens with them (0: never;
  // a sequence then decodes one token per step even when it asks for speculation). A sequence
  // that finds less room drafts fewer tokens. ChooseBatchSpeculation (speculation_choice.h)
  // measures where it pays.
  int draft_step_tokens = Transformer::kMaxBatch;
};

inline constexpr int kMaxSequences = 256;

struct BatcherStats {  // since the batcher was made
  int64_t steps = 0;
  int64_t step_tokens = 0;           // tokens run through the model, prompts included
  int64_t prefix_reused_tokens = 0;  // prompt tokens found in a slot's cache, not recomputed
  int64_t prompt_tokens = 0;
  int64_t draft_tokens = 0;     // proposed by the sequences' drafters and verified
  int64_t accepted_tokens = 0;  // of those, accepted
};

class ContinuousBatcher {
 public:
  using TokenFn = std::function<bool(const GeneratedToken&)>;  // false: stop that sequence
  using DoneFn = std::function<void(absl::StatusOr<GenerateResult>)>;

  // InvalidArgument for options out of range.
  static absl::StatusOr<std::unique_ptr<ContinuousBatcher>> Create(
      std::shared_ptr<const Model> model, const BatcherOptions& options);
  // Ends the sequences still running: on_done gets Unavailable.
  ~ContinuousBatcher();

  const Model& model() const { return transformer_.model(); }
  int context_length() const { return context_length_; }
  int max_sequences() const { return static_cast<int>(slots_.size()); }
  int active() const { return active_; }
  bool has_free_slot() const { return active_ < max_sequences(); }
  // The share of the cache's positions (max_sequences x context_length) that running
  // sequences hold.
  double cache_usage() const;
  const BatcherStats& stats() const { return stats_; }

  // Starts a request in a free slot. InvalidArgument for a request Engine would refuse, or one
  // asking for a draft model (not available in a batch; n-gram speculation is); ResourceExhausted
  // when every slot is busy. On OK, on_done is called exactly once, from Step() (or the
  // destructor).
  absl::Status Add(GenerateOptions options, TokenFn on_token, DoneFn on_done);

  struct StepResult {
    int sequences = 0;     // that ran at least one token
    int tokens = 0;        // run through the model, drafts included
    int draft_tokens = 0;  // of those, drafts
  };
  // One forward pass: the next token of every decoding sequence (with its drafts, if it
  // speculates and the step has room) and up to prefill_chunk prompt tokens of those being
  // prefilled (oldest first). Calls the callbacks of the sequences that
  // got a token; one that finishes gets on_done and frees its slot.
  StepResult Step();

  // For tests: run on these kernels instead of the best ones for this CPU.
  void set_kernels(const Kernels& kernels) { transformer_.set_kernels(kernels); }

 private:
  struct Sequence;
  struct Slot {
    explicit Slot(KvCache kv);  // in the .cc, where Sequence is complete
    KvCache cache;
    std::vector<int> tokens;  // what the cache holds, position by position
    uint64_t last_used = 0;
    std::unique_ptr<Sequence> sequence;  // null when free
  };

  ContinuousBatcher(std::shared_ptr<const Model> model, const BatcherOptions& options,
                    int context_length);
  // The free slot for `prompt`, and how many of its positions can be kept.
  std::pair<Slot*, int> ChooseSlot(const std::vector<int>& prompt) const;
  // Puts `take` of the slot's pending tokens into the batch, and drafts after its last one when
  // the sequence speculates, at most `draft_budget` of them (which it lowers).
  absl::Status Enqueue(Slot& slot, size_t take, int& draft_budget);
  // Settles a sequence's tokens from its rows of logits_; false when it finished.
  bool Settle(Slot& slot);
  void Finish(Slot& slot);
  void Fail(Slot& slot, absl::Status status);

  ThreadPool pool_;
  int context_length_;
  int prefill_chunk_;
  int draft_step_tokens_;
  Transformer transformer_;
  std::vector<Slot> slots_;
  int active_ = 0;
  uint64_t clock_ = 0;  // orders admissions and slot use
  LogprobCalculator logprob_calculator_;
  BatcherStats stats_;
  // Scratch of Step().
  std::vector<BatchToken> batch_;
  std::vector<Slot*> wants_logits_;  // the slots that get rows of logits_, in row order
  int rows_ = 0;                     // of logits_ this step
  std::vector<float> logits_;        // [rows][vocab]
  std::vector<int> emitted_;
};

}  // namespace cascade::engine
