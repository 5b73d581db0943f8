#include "services/inference/engine/generation_output.h"

#include "absl/strings/str_cat.h"

namespace cascade::engine {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

GenerationOutput::GenerationOutput(const GenerateOptions& options, const Tokenizer& tokenizer,
                                   std::chrono::steady_clock::time_point start)
    : options_(options), tokenizer_(tokenizer), start_(start) {
  result_.prompt_tokens = static_cast<int>(options.prompt.size());
  result_.tokens.reserve(options.max_tokens);
}

bool GenerationOutput::Push(int token, std::span<const float> logits, LogprobCalculator& logprobs,
                            TokenCallback on_token) {
  if (result_.tokens.empty()) result_.prefill_seconds = SecondsSince(start_);
  if (options_.stop_at_eos && tokenizer_.IsEndOfGeneration(token)) {
    result_.finish_reason = FinishReason::kStop;
    return false;
  }
  const TokenLogprob* logprob = nullptr;
  if (wants_logits()) {
    result_.logprobs.push_back(logprobs.Compute(logits, token, options_.top_logprobs));
    logprob = &result_.logprobs.back();
  }
  result_.tokens.push_back(token);
  const absl::string_view text = utf8_.Push(tokenizer_.TokenBytes(token));
  absl::StrAppend(&result_.text, text);
  if (!on_token({generated() - 1, token, text, logprob})) {
    result_.finish_reason = FinishReason::kCancelled;
    return false;
  }
  if (generated() == options_.max_tokens) {
    result_.finish_reason = FinishReason::kLength;
    return false;
  }
  return true;
}

GenerateResult GenerationOutput::Finish() {
  absl::StrAppend(&result_.text, utf8_.Flush());
  result_.decode_seconds = SecondsSince(start_) - result_.prefill_seconds;
  return std::move(result_);
}

}  // namespace cascade::engine
