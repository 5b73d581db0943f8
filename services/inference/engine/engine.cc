#include "services/inference/engine/engine.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/generation_output.h"

namespace cascade::engine {
absl::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Engine::Engine(std::shared_ptr<const Model> model, const EngineOptions& options)
    : model_(std::move(model)),
      pool_(options.threads),
      logprob_calculator_(model_->config().vocab_size) {
  auto target = CreateForwardPass(model_, options.device, pool_, options.context_length);
  if (!target.ok()) {
    status_ = target.status();
    return;
  }
  target_ = std::move(*target);
  if (options.device == Device::kCpu) cpu_session_ = static_cast<Session*>(target_.get());
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::shared_ptr<const Model> model,
                                                       const EngineOptions& options) {
  auto engine = std::make_unique<Engine>(std::move(model), options);
  if (!engine->status().ok()) return engine->status();
  return engine;
}

absl::Status ValidateGenerateOptions(const GenerateOptions& options, const Model& model,
                                     int context_length) {
  const int prompt = static_cast<int>(options.prompt.size());
  const int context = context_length;
  if (prompt == 0) {
    return absl::InvalidArgumentError("the prompt is empty; it needs at least one token");
  }
  for (int token : options.prompt) {
    if (token < 0 || token >= model.config().vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompt token ", token, " is outside the vocabulary of ", model.config().vocab_size));
    }
  }
  if (options.max_tokens < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_tokens must be at least 1, got ", options.max_tokens));
  }
  if (prompt > context) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt has ", prompt,
                                                   " tokens, more than the context length of ",
                                                   context, " tokens"));
  }
  if (options.max_tokens > context - prompt) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_tokens ", options.max_tokens, " is too large: the prompt's ", prompt,
                     " tokens plus max_tokens must fit in the context length of ", context,
                     " tokens, so max_tokens can be at most ", context - prompt));
  }
  if (auto status = options.sampling.Validate(); !status.ok()) return status;
  if (options.top_logprobs < 0 || options.top_logprobs > kMaxTopLogprobs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "top_logprobs must be between 0 and ", kMaxTopLogprobs, ", got ", options.top_logprobs));
  }
  const SpeculationOptions& speculation = options.speculation;
  if (speculation.mode == SpeculationOptions::Mode::kNone) return absl::OkStatus();
  if (speculation.max_draft_tokens < 1 || speculation.max_draft_tokens > kMaxDraftTokens) {
    return absl::InvalidArgumentError(absl::StrCat("max_draft_tokens must be between 1 and ",
                                                   kMaxDraftTokens, ", got ",
                                                   speculation.max_draft_tokens));
  }
  if (speculation.mode == SpeculationOptions::Mode::kNgram &&
      (speculation.ngram_size < 1 || speculation.ngram_size > 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ngram_size must be between 1 and 16, got ", speculation.ngram_size));
  }
  if (!(speculation.min_draft_probability >= 0 && speculation.min_draft_probability <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("min_draft_probability must be in [0, 1], got ",
                                                   speculation.min_draft_probability));
  }
  if (speculation.mode == SpeculationOptions::Mode::kDraftModel &&
      speculation.draft_model == nullptr) {
    return absl::InvalidArgumentError("speculation by draft model needs a draft model");
  }
  return absl::OkStatus();
}

absl::StatusOr<Drafter*> Engine::PrepareDrafter(const SpeculationOptions& speculation) {
  switch (speculation.mode) {
    case SpeculationOptions::Mode::kNone:
      return nullptr;
    case SpeculationOptions::Mode::kNgram:
      ngram_drafter_ = std::make_unique<NgramDrafter>(speculation.ngram_size);
      return ngram_drafter_.get();
    case SpeculationOptions::Mode::kDraftModel:
      // Reuse the drafter (and its cache) while requests name the same draft model.
      if (draft_model_drafter_ == nullptr ||
          &draft_model_drafter_->model() != speculation.draft_model.get()) {
        auto drafter = DraftModelDrafter::Create(speculation.draft_model, *model_, pool_);
        if (!drafter.ok()) return drafter.status();
        draft_model_drafter_ = std::move(*drafter);
      }
      draft_model_drafter_->set_min_probability(speculation.min_draft_probability);
      return draft_model_drafter_.get();
  }
  return nullptr;
}

absl::Status Engine::Prefill(const std::vector<int>& prompt) {
  // The cache ends up holding every prompt token but the last, which the first decoding step
  // feeds. A prefix shared with the previous request is already there.
  const int n = static_cast<int>(prompt.size());
  const auto mismatch = std::mismatch(cached_.begin(), cached_.end(), prompt.begin(), prompt.end());
  const int keep = std::min<int>(static_cast<int>(mismatch.first - cached_.begin()), n - 1);
  target_->Truncate(keep);
  cached_.assign(prompt.begin(), prompt.begin() + keep);
  if (n - 1 > keep) {
    if (auto s = target_->Forward(std::span(prompt).subspan(keep, n - 1 - keep), 0); !s.ok()) {
      return s;
    }
    cached_.assign(prompt.begin(), prompt.end() - 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<GenerateResult> Engine::Generate(const GenerateOptions& options) {
  return Generate(options, [](const GeneratedToken&) { return true; });
}

absl::StatusOr<GenerateResult> Engine::Generate(const GenerateOptions& options,
                                                TokenCallback on_token) {
  if (!status_.ok()) return status_;
  if (auto status = ValidateGenerateOptions(options, *model_, context_length()); !status.ok()) {
    return status;
  }
  auto drafter = PrepareDrafter(options.speculation);
  if (!drafter.ok()) return drafter.status();
  const int max_draft = *drafter == nullptr ? 0 : options.speculation.max_draft_tokens;
  const auto start = std::chrono::steady_clock::now();

  if (auto status = Prefill(options.prompt); !status.ok()) {
    cached_.clear();
    target_->Truncate(0);
    return status;
  }

  Sampler sampler(options.sampling, model_->config().vocab_size);
  GenerationOutput output(options, model_->tokenizer(), start);
  SpeculationStats speculation;
  // Everything decoded so far, including tokens decoded but not reported after a stop.
  std::vector<int>& sequence = cached_;
  sequence.push_back(options.prompt.back());
  std::vector<int> emitted;
  bool done = false;
  while (!done) {
    const int remaining = options.max_tokens - output.generated();
    // Drafts beyond the tokens still wanted are wasted; the verify pass must fit the context.
    const int room = target_->context_length() - target_->position() - 1;
    const int k = std::max(0, std::min({max_draft, remaining - 1, room}));
    emitted.clear();
    if (auto status =
            DecodeStep(*target_, *drafter, k, sampler, sequence, scratch_, emitted, speculation);
        !status.ok()) {
      cached_.clear();
      target_->Truncate(0);
      return status;
    }
    sequence.insert(sequence.end(), emitted.begin(), emitted.end());
    for (size_t j = 0; j < emitted.size() && !done; ++j) {
      const auto logits =
          output.wants_logits() ? target_->logits(static_cast<int>(j)) : std::span<const float>();
      done = !output.Push(emitted[j], logits, logprob_calculator_, on_token);
    }
  }
  // The cache holds all but the last decoded token, ready for a follow-up prompt to reuse.
  sequence.pop_back();
  GenerateResult result = output.Finish();
  result.speculation = std::move(speculation);
  return result;
}

}  // namespace cascade::engine
