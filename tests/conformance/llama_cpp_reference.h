// llama.cpp as a reference: runs llama_cpp_reference.mjs (node-llama-cpp, pinned in tests/npm)
// on GGUF files and reads back its tokenization, greedy continuations and top logprobs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::conformance {

// One prompt on one model, as llama.cpp saw it.
struct ReferenceContinuation {
  std::string text;
  std::vector<int> prompt_ids;   // llama.cpp's tokenization of `text`, without BOS
  std::vector<int> special_ids;  // the same with special tokens' texts parsed as tokens
  std::vector<int> tokens;       // its greedy continuation
  // top[i]: the most likely tokens after prompt + tokens[0..i-1], with their logprobs, most
  // likely first (so top[i][0].first == tokens[i]).
  std::vector<std::vector<std::pair<int, double>>> top;
};

struct ReferenceModel {
  std::string path;
  int bos = 1;
  std::vector<ReferenceContinuation> prompts;
};

struct LlamaCppOptions {
  std::string node_modules;  // where node-llama-cpp is installed (FindNodeModules)
  std::vector<std::string> models;
  std::vector<std::string> prompts;
  int tokens = 32;  // 0: tokenize only
  int top = 5;
  int context_size = 256;  // llama.cpp's context (at most the model's): prompt + tokens must fit
  std::string work_dir;    // for the script's stdout and stderr
};

// The node_modules folder that scripts/install-npm-tools.sh prints (it installs only when its
// cache is empty). FailedPrecondition with the script's output when that fails. The script's
// output goes to files in `work_dir`.
absl::StatusOr<std::string> FindNodeModules(const std::string& work_dir);

// Runs the reference script. FailedPrecondition, with what node wrote to stderr, when node or
// node-llama-cpp is missing or llama.cpp fails; Internal when its output is not what is expected.
absl::StatusOr<std::vector<ReferenceModel>> RunLlamaCpp(const LlamaCppOptions& options);

}  // namespace cascade::conformance
