// GPT-2 style byte-level BPE (`tokenizer.ggml.model = gpt2`: Llama 3, Qwen 2.5 / 3, Mistral
// Nemo, ...). Every byte is first written as one printable character (GPT-2's byte table:
// a space is "Ġ", a newline "Ċ"), so the vocabulary covers any bytes without a fallback.
// Encoding a word: start from its bytes' characters and apply the merges in rank order, the
// pair with the lowest rank first, leftmost first among equals, until no merge applies.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/pre_tokenizer.h"

namespace cascade::engine {

class ByteLevelBpe {
 public:
  struct Options {
    PreTokenizer pre = PreTokenizer::kLlama3;
    // Llama 3: a word that is itself a token is that token, whatever the merges would make.
    bool ignore_merges = false;
  };

  // `tokens` by id in their vocabulary spelling; `merges` as "left right", rank 0 first.
  // InvalidArgument when a byte has no token of its own (then some text could not be
  // encoded) or a merge's halves or result are not tokens.
  static absl::StatusOr<ByteLevelBpe> Create(const std::vector<std::string>& tokens,
                                             const std::vector<std::string>& merges,
                                             Options options);

  // Appends the ids of plain text (no special tokens inside), valid UTF-8.
  void Encode(absl::string_view text, std::vector<int>& ids) const;

  // The bytes a vocabulary spelling stands for ("Ġhello" -> " hello"); characters outside
  // the byte table stay as they are.
  static std::string SpellingToBytes(absl::string_view spelling);
  // The vocabulary spelling of raw bytes (" hello" -> "Ġhello").
  static std::string BytesToSpelling(absl::string_view bytes);

 private:
  ByteLevelBpe() = default;
  void EncodeWord(absl::string_view word, std::vector<int>& ids) const;

  struct Merge {
    int rank;
    int result;
  };
  static uint64_t PairKey(int left, int right) {
    return (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
  }

  Options options_;
  absl::flat_hash_map<std::string, int> id_of_;  // spelling -> id, first id wins
  absl::flat_hash_map<uint64_t, Merge> merges_;  // (left id, right id) -> rank, merged id
  std::array<int, 256> byte_id_{};               // each byte's one-character token
};

}  // namespace cascade::engine
