// Text to token ids and back, as llama.cpp does it for the two tokenizer families of GGUF
// files: SentencePiece BPE (`tokenizer.ggml.model = llama`, sentencepiece_bpe.h) and GPT-2
// style byte-level BPE (`gpt2`, byte_level_bpe.h, with the pre-tokenizer the file names).
//
// Special tokens: a user-defined token's text (Qwen's <think>) is always that token; a
// control token's text (<|eot_id|>, <|im_start|>) is that token only when the caller asks
// for special tokens to be parsed, as a chat template's own markup does. Text from a user is
// encoded without, so it cannot forge the template's markup.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/byte_level_bpe.h"
#include "services/inference/engine/gguf.h"
#include "services/inference/engine/pre_tokenizer.h"
#include "services/inference/engine/sentencepiece_bpe.h"

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

enum class TokenizerModel {
  kSentencePiece,  // "llama"
  kByteLevelBpe,   // "gpt2"
};

struct TokenizerVocab {
  TokenizerModel model = TokenizerModel::kSentencePiece;
  // As stored: SentencePiece with "▁" for spaces and "<0xXX>" for bytes; byte-level BPE in
  // GPT-2's byte characters ("Ġ" for a space).
  std::vector<std::string> tokens;
  std::vector<float> scores;        // SentencePiece merge priority; empty means all zero
  std::vector<TokenKind> kinds;     // empty means all normal (byte tokens are still recognised)
  std::vector<std::string> merges;  // byte-level BPE: "left right", rank 0 first
  PreTokenizer pre = PreTokenizer::kLlama3;  // byte-level BPE only
  int unknown_id = 0;  // -1: none (byte-level vocabularies have no unknown token)
  int bos_id = 1;
  int eos_id = 2;
  int eot_id = -1;  // end of turn (Llama 3's <|eot_id|>), when the file names one
  int eom_id = -1;  // end of message (Llama 3.1's <|eom_id|>)
  bool add_bos = true;
  bool add_space_prefix = true;  // SentencePiece only
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.*: `llama` or `gpt2` with a supported pre-tokenizer.
  static absl::StatusOr<Tokenizer> FromGguf(const GgufFile& file);
  static absl::StatusOr<Tokenizer> FromVocab(TokenizerVocab vocab);

  // Text to token ids, with BOS first when `add_bos` and the model asks for it; control
  // tokens' texts become those tokens only with `parse_special`. Text that is not valid
  // UTF-8 is an InvalidArgument error.
  absl::StatusOr<std::vector<int>> Encode(absl::string_view text, bool add_bos = true,
                                          bool parse_special = false) const;
  // The same for a rendered chat: control tokens' texts are parsed only inside `markup`, the
  // byte ranges [begin, end) that the template wrote (chat_template.h), never in what a
  // user wrote.
  absl::StatusOr<std::vector<int>> EncodeWithMarkup(
      absl::string_view text, std::span<const std::pair<size_t, size_t>> markup,
      bool add_bos = true) const;

  // The bytes a token stands for; control tokens stand for nothing. A byte token may be part
  // of a character, so this is not always valid UTF-8; feed pieces through a Utf8Stream when
  // streaming.
  absl::string_view TokenBytes(int id) const { return token_bytes_[id]; }
  // Whole-sequence decoding: valid UTF-8, without the space that Encode put in front.
  std::string Decode(std::span<const int> ids) const;

  // Whether generation ends at `id`: EOS, the file's end-of-turn and end-of-message tokens,
  // and control tokens spelled like the common families' end-of-turn markers (<|eot_id|>,
  // <|im_end|>, <|end|>, <end_of_turn>, <|endoftext|>), as llama.cpp treats them.
  bool IsEndOfGeneration(int id) const { return end_of_generation_.contains(id); }

  int vocab_size() const { return static_cast<int>(vocab_.tokens.size()); }
  int bos_id() const { return vocab_.bos_id; }
  int eos_id() const { return vocab_.eos_id; }
  bool add_bos() const { return vocab_.add_bos; }
  const std::string& token_text(int id) const { return vocab_.tokens[id]; }
  const TokenizerVocab& vocab() const { return vocab_; }
  // The file's `tokenizer.chat_template` (Jinja source; chat_template.h reads it), or empty.
  const std::string& chat_template_source() const { return chat_template_source_; }
  // "llama (SentencePiece BPE)" or "gpt2 (byte-level BPE, llama-bpe)", for ListModels.
  std::string Describe() const;

 private:
  Tokenizer() = default;
  absl::Status Build();
  void EncodeText(absl::string_view text, bool after_special, std::vector<int>& ids) const;
  // Encode's work; control tokens are looked for only with `any_control`, and their text at
  // [start, start + length) counts only where `control_allowed` says so.
  template <typename Allowed>
  absl::StatusOr<std::vector<int>> EncodeParts(absl::string_view text, bool add_bos,
                                               bool any_control, Allowed control_allowed) const;

  TokenizerVocab vocab_;
  std::vector<std::string> token_bytes_;
  std::string chat_template_source_;
  std::variant<std::monostate, SentencePieceBpe, ByteLevelBpe> encoder_;
  // Token texts matched before BPE, longest first: (text, id, is control).
  struct Special {
    std::string text;
    int id;
    bool control;
  };
  std::vector<Special> specials_;
  absl::flat_hash_set<int> end_of_generation_;
};

}  // namespace cascade::engine
