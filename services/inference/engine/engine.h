// The request-level API: one Engine runs generation requests on one model.
//
//   auto model = Model::Load("models/bard-target-3m.gguf");
//   Engine engine(*model, {.threads = 2});
//   GenerateOptions request;
//   request.prompt = *(*model)->tokenizer().Encode("ROMEO:");
//   request.max_tokens = 32;
//   auto result = engine.Generate(request, [](const GeneratedToken& t) {
//     std::cout << t.text;  // streamed, always whole UTF-8 characters
//     return true;          // false cancels
//   });
//
// An Engine is used by one thread at a time (the service queues requests per engine); the
// Model it runs can be shared read-only by any number of engines.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/device.h"
#include "services/inference/engine/draft_model_drafter.h"
#include "services/inference/engine/logprobs.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/ngram_drafter.h"
#include "services/inference/engine/sampler.h"
#include "services/inference/engine/session.h"
#include "services/inference/engine/speculative.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::engine {

struct SpeculationOptions {
  enum class Mode { kNone, kDraftModel, kNgram };
  Mode mode = Mode::kNone;
  std::shared_ptr<const Model> draft_model;  // for kDraftModel
  int max_draft_tokens = 4;                  // k, 1 to kMaxDraftTokens
  int ngram_size = 3;                        // for kNgram, 1 to 16
  // Adaptive draft length for kDraftModel: drafting stops at the first token the draft model
  // gives less than this probability (0 drafts all max_draft_tokens). A doubtful draft token
  // is likely rejected, and checking it is not free.
  float min_draft_probability = 0.0f;
};

inline constexpr int kMaxDraftTokens = 16;
inline constexpr int kMaxTopLogprobs = 20;

struct GenerateOptions {
  std::vector<int> prompt;  // token ids, BOS included when the model wants it
  int max_tokens = 128;
  SamplingOptions sampling;
  SpeculationOptions speculation;
  bool logprobs = false;  // report each generated token's log-probability
  int top_logprobs = 0;   // and this many most likely alternatives (0 to 20)
  bool stop_at_eos = true;
};

enum class FinishReason { kLength, kStop, kCancelled };
absl::string_view FinishReasonName(FinishReason reason);  // "length", "stop", "cancelled"

// What the per-token callback sees. `text` is the newly completed UTF-8 text (possibly empty
// while a multi-byte character is still arriving in byte tokens); `logprob` is null unless
// logprobs were requested. Both are valid only during the call.
struct GeneratedToken {
  int index = 0;  // 0 for the first generated token
  int id = 0;
  absl::string_view text;
  const TokenLogprob* logprob = nullptr;
};
using TokenCallback = absl::FunctionRef<bool(const GeneratedToken&)>;  // false: stop now

struct GenerateResult {
  std::vector<int> tokens;  // generated ids (an end-of-sequence token is not included)
  std::string text;
  std::vector<TokenLogprob> logprobs;  // one per token when requested
  FinishReason finish_reason = FinishReason::kLength;
  int prompt_tokens = 0;
  SpeculationStats speculation;
  double prefill_seconds = 0;  // until the first token was ready
  double decode_seconds = 0;   // the rest
};

// InvalidArgument naming the broken limit when `options` cannot run on `model` with a context
// of `context_length` tokens.
absl::Status ValidateGenerateOptions(const GenerateOptions& options, const Model& model,
                                     int context_length);

struct EngineOptions {
  int threads = 1;         // CPU threads (the model's on kCpu; a draft model's on either)
  int context_length = 0;  // 0: the model's
  Device device = Device::kCpu;
};

class Engine {
 public:
  // Fails (FailedPrecondition, see CheckDevice) when the model cannot run on options.device.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(std::shared_ptr<const Model> model,
                                                        const EngineOptions& options);
  // The same, for callers that hold the engine by value: an engine whose device failed
  // reports why in status() and from every Generate, and has context_length() 0.
  Engine(std::shared_ptr<const Model> model, const EngineOptions& options);

  const Model& model() const { return *model_; }
  const absl::Status& status() const { return status_; }
  int context_length() const { return target_ == nullptr ? 0 : target_->context_length(); }

  // Validates the request (InvalidArgument naming the broken limit), then generates.
  // Cancellation through the callback is not an error: finish_reason says kCancelled.
  absl::StatusOr<GenerateResult> Generate(const GenerateOptions& options, TokenCallback on_token);
  absl::StatusOr<GenerateResult> Generate(const GenerateOptions& options);

  // For tests: run on these kernels instead of the best ones for this CPU.
  void set_kernels(const Kernels& kernels) {
    if (cpu_session_ != nullptr) cpu_session_->set_kernels(kernels);
  }

 private:
  absl::StatusOr<Drafter*> PrepareDrafter(const SpeculationOptions& speculation);
  absl::Status Prefill(const std::vector<int>& prompt);

  std::shared_ptr<const Model> model_;
  ThreadPool pool_;
  absl::Status status_;
  std::unique_ptr<ForwardPass> target_;  // the model's forward pass, on its device
  Session* cpu_session_ = nullptr;       // target_ when it runs on the CPU

  std::vector<int> cached_;  // the tokens in session_'s cache, reused when a prompt repeats
  std::unique_ptr<DraftModelDrafter> draft_model_drafter_;
  std::unique_ptr<NgramDrafter> ngram_drafter_;
  LogprobCalculator logprob_calculator_;
  DecodeScratch scratch_;
};

}  // namespace cascade::engine
