// SentencePiece BPE tokenization, as llama.cpp does it for `tokenizer.ggml.model = llama`.
//
// Encoding: add a space in front of the text, write every space as U+2581 ("▁"), split into
// characters, then repeatedly merge the adjacent pair whose concatenation is a vocabulary
// token with the highest score (leftmost first on ties). A character that is not in the
// vocabulary falls back to its bytes, one <0xXX> token each.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/gguf.h"

namespace cascade::engine {

// GGUF tokenizer.ggml.token_type values.
enum class TokenKind : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct TokenizerVocab {
  std::vector<std::string> tokens;  // as stored, with "▁" for spaces and "<0xXX>" for bytes
  std::vector<float> scores;        // merge priority; empty means all zero
  std::vector<TokenKind> kinds;     // empty means all normal (byte tokens are still recognised)
  int unknown_id = 0;
  int bos_id = 1;
  int eos_id = 2;
  bool add_bos = true;
  bool add_space_prefix = true;
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.*; only the `llama` (SentencePiece) model is supported.
  static absl::StatusOr<Tokenizer> FromGguf(const GgufFile& file);
  static absl::StatusOr<Tokenizer> FromVocab(TokenizerVocab vocab);

  // Text to token ids, with BOS first when `add_bos` and the model asks for it. Text that is
  // not valid UTF-8 is an InvalidArgument error.
  absl::StatusOr<std::vector<int>> Encode(absl::string_view text, bool add_bos = true) const;

  // The bytes a token stands for: "▁" becomes a space, <0xXX> one byte, control tokens
  // nothing. A byte token may be part of a character, so this is not always valid UTF-8; feed
  // pieces through a Utf8Stream when streaming.
  absl::string_view TokenBytes(int id) const { return token_bytes_[id]; }
  // Whole-sequence decoding: valid UTF-8, without the space that Encode put in front.
  std::string Decode(std::span<const int> ids) const;

  int vocab_size() const { return static_cast<int>(vocab_.tokens.size()); }
  int bos_id() const { return vocab_.bos_id; }
  int eos_id() const { return vocab_.eos_id; }
  bool add_bos() const { return vocab_.add_bos; }
  const std::string& token_text(int id) const { return vocab_.tokens[id]; }
  const TokenizerVocab& vocab() const { return vocab_; }

 private:
  Tokenizer() = default;
  absl::Status Build();
  void AppendPiece(absl::string_view piece, std::vector<int>& ids) const;

  TokenizerVocab vocab_;
  absl::flat_hash_map<std::string, int> id_of_;
  std::array<int, 256> byte_token_{};  // -1 where the vocabulary has no <0xXX> token
  std::vector<std::string> token_bytes_;
};

}  // namespace cascade::engine
