// What one request has generated so far, and the rules that end it: the end-of-generation
// token, max_tokens, and the caller's callback. Engine (one request at a time) and
// ContinuousBatcher (many) feed it the tokens they decode, one by one.
#pragma once

#include <chrono>
#include <span>

#include "common/text/utf8.h"
#include "services/inference/engine/engine.h"
#include "services/inference/engine/logprobs.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::engine {

class GenerationOutput {
 public:
  // `options` and `tokenizer` must outlive this; `start` is when the request began to run.
  GenerationOutput(const GenerateOptions& options, const Tokenizer& tokenizer,
                   std::chrono::steady_clock::time_point start);

  // Whether Push needs the logits (for logprobs); without, it takes an empty span, which
  // spares a device backend copying them.
  bool wants_logits() const { return options_.logprobs || options_.top_logprobs > 0; }
  // Takes the next decoded token and the logits it was drawn from; false when generation is
  // over (the end-of-generation token, max_tokens reached, or the callback said stop), with
  // the reason in the result's finish_reason.
  bool Push(int token, std::span<const float> logits, LogprobCalculator& logprobs,
            TokenCallback on_token);

  int generated() const { return static_cast<int>(result_.tokens.size()); }
  // Ends the text (an unfinished UTF-8 character becomes U+FFFD) and the timings.
  GenerateResult Finish();

 private:
  const GenerateOptions& options_;
  const Tokenizer& tokenizer_;
  std::chrono::steady_clock::time_point start_;
  Utf8Stream utf8_;
  GenerateResult result_;
};

}  // namespace cascade::engine
