// Prompts of ordinary token ids for the engine benchmarks (cascade-bench-engine,
// cascade-bench-streams, cascade-bench-batch-speculation), made by one rule so that their runs,
// and llama_cpp_streams.mjs's, feed the same requests.
#pragma once

#include <algorithm>
#include <vector>

namespace cascade::bench {

// Leading ids of a request's prompt that differ between requests.
inline constexpr int kVariedPromptIds = 4;

// n ids cycling from vocab / 8 through vocab / 2 ids: clear of the low special and byte tokens
// of SentencePiece vocabularies and of the high special tokens of byte-level BPE ones.
inline std::vector<int> OrdinaryPromptIds(int vocab, int n) {
  const int first = vocab / 8, span = std::max(1, vocab / 2);
  std::vector<int> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = first + i % span;
  return ids;
}

// The prompt of request k: OrdinaryPromptIds with its first kVariedPromptIds ids counted down
// from the top of the span by k, so that no two requests share a prefix (while
// kVariedPromptIds * requests <= vocab / 2).
inline std::vector<int> RequestPromptIds(int vocab, int n, int k) {
  std::vector<int> ids = OrdinaryPromptIds(vocab, n);
  const int first = vocab / 8, span = std::max(1, vocab / 2);
  for (int i = 0; i < std::min(n, kVariedPromptIds); ++i) {
    ids[i] = first + span - 1 - (kVariedPromptIds * k + i) % span;
  }
  return ids;
}

}  // namespace cascade::bench
