// SentencePiece BPE, as llama.cpp does it for `tokenizer.ggml.model = llama`.
//
// Write every space as U+2581 ("▁") (and one in front of the text when the model asks), split
// into characters, then repeatedly merge the adjacent pair whose concatenation is a vocabulary
// token with the highest score (leftmost first on ties). A character that is not in the
// vocabulary falls back to its bytes, one <0xXX> token each.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace cascade::engine {

inline constexpr absl::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581

class SentencePieceBpe {
 public:
  // `byte_token[b]` is the <0xXX> token of byte b, or -1.
  SentencePieceBpe(absl::flat_hash_map<std::string, int> id_of, std::vector<float> scores,
                   std::array<int, 256> byte_token, int unknown_id);

  // Appends the ids of plain text (no special tokens inside), valid UTF-8.
  void Encode(absl::string_view text, bool space_prefix, std::vector<int>& ids) const;

 private:
  void AppendPiece(absl::string_view piece, std::vector<int>& ids) const;

  absl::flat_hash_map<std::string, int> id_of_;
  std::vector<float> scores_;  // empty means all zero
  std::array<int, 256> byte_token_;
  int unknown_id_;
};

}  // namespace cascade::engine
