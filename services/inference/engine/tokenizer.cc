#include "services/inference/engine/tokenizer.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text/utf8.h"

namespace cascade::engine {
namespace {

// "<0x1F>" -> 0x1F; -1 for anything else.
int ParseByteToken(absl::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9')
      value += c - '0';
    else if (c >= 'A' && c <= 'F')
      value += c - 'A' + 10;
    else if (c >= 'a' && c <= 'f')
      value += c - 'a' + 10;
    else
      return -1;
  }
  return value;
}

// The end-of-turn markers of the common chat families; a control token with one of these
// texts ends generation even when the file does not name it (llama.cpp does the same).
constexpr absl::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
};

absl::StatusOr<TokenizerModel> ModelFromGguf(const GgufFile& file) {
  auto model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model == "llama") return TokenizerModel::kSentencePiece;
  if (*model == "gpt2") return TokenizerModel::kByteLevelBpe;
  return absl::InvalidArgumentError(
      absl::StrCat("GGUF file '", file.path(), "' uses tokenizer model '", *model,
                   "', which this engine does not support; supported: tokenizer.ggml.model = "
                   "llama (SentencePiece BPE with byte fallback) or gpt2 (byte-level BPE)"));
}

absl::StatusOr<std::vector<std::string>> StringArray(const GgufFile& file, absl::string_view key) {
  const GgufValue* value = file.Find(key);
  if (value == nullptr || value->type != GgufValueType::kArray ||
      value->array_type != GgufValueType::kString || value->array.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("GGUF file '", file.path(), "' has no ", key, " array of strings"));
  }
  std::vector<std::string> out;
  out.reserve(value->array.size());
  for (const GgufValue& item : value->array) out.push_back(item.string_value);
  return out;
}

}  // namespace

absl::StatusOr<Tokenizer> Tokenizer::FromGguf(const GgufFile& file) {
  auto model = ModelFromGguf(file);
  if (!model.ok()) return model.status();
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' ", what));
  };
  TokenizerVocab vocab;
  vocab.model = *model;
  auto tokens = StringArray(file, "tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  vocab.tokens = *std::move(tokens);
  const size_t n = vocab.tokens.size();

  if (const GgufValue* scores = file.Find("tokenizer.ggml.scores")) {
    if (scores->type != GgufValueType::kArray || scores->array.size() != n ||
        !scores->array[0].is_float()) {
      return bad(absl::StrCat("has tokenizer.ggml.scores that is not ", n, " floats"));
    }
    for (const GgufValue& score : scores->array) vocab.scores.push_back(score.float_value);
  }
  if (const GgufValue* kinds = file.Find("tokenizer.ggml.token_type")) {
    if (kinds->type != GgufValueType::kArray || kinds->array.size() != n ||
        !kinds->array[0].is_integer()) {
      return bad(absl::StrCat("has tokenizer.ggml.token_type that is not ", n, " integers"));
    }
    for (const GgufValue& kind : kinds->array) {
      vocab.kinds.push_back(static_cast<TokenKind>(kind.int_value));
    }
  }
  if (vocab.model == TokenizerModel::kByteLevelBpe) {
    auto merges = StringArray(file, "tokenizer.ggml.merges");
    if (!merges.ok()) return merges.status();
    vocab.merges = *std::move(merges);
    auto pre = file.GetString("tokenizer.ggml.pre");
    if (!pre.ok()) {
      return bad(
          absl::StrCat("has a byte-level BPE tokenizer without tokenizer.ggml.pre; "
                       "supported pre-tokenizers: ",
                       SupportedPreTokenizers()));
    }
    auto kind = PreTokenizerFromGguf(*pre);
    if (!kind.has_value()) {
      return bad(absl::StrCat(
          "uses pre-tokenizer '", *pre,
          "', which this engine does not support; supported: ", SupportedPreTokenizers()));
    }
    vocab.pre = *kind;
    vocab.unknown_id = -1;
    vocab.add_space_prefix = false;
  }
  // An id key that is absent keeps `fallback`; -1 means "none".
  auto read_id = [&](absl::string_view key, int fallback, int& out) -> absl::Status {
    auto id = file.GetInt(key, fallback);
    if (!id.ok()) return id.status();
    if (*id == -1 && fallback == -1) {
      out = -1;
      return absl::OkStatus();
    }
    if (*id < 0 || *id >= static_cast<int64_t>(n)) {
      return bad(absl::StrCat("has ", key, " = ", *id, ", outside the vocabulary of ", n));
    }
    out = static_cast<int>(*id);
    return absl::OkStatus();
  };
  const bool byte_level = vocab.model == TokenizerModel::kByteLevelBpe;
  if (auto s = read_id("tokenizer.ggml.unknown_token_id", byte_level ? -1 : 0, vocab.unknown_id);
      !s.ok()) {
    return s;
  }
  if (auto s = read_id("tokenizer.ggml.bos_token_id", 1, vocab.bos_id); !s.ok()) return s;
  if (auto s = read_id("tokenizer.ggml.eos_token_id", 2, vocab.eos_id); !s.ok()) return s;
  if (auto s = read_id("tokenizer.ggml.eot_token_id", -1, vocab.eot_id); !s.ok()) return s;
  if (auto s = read_id("tokenizer.ggml.eom_token_id", -1, vocab.eom_id); !s.ok()) return s;
  auto add_bos = file.GetBool("tokenizer.ggml.add_bos_token", !byte_level);
  auto add_space = file.GetBool("tokenizer.ggml.add_space_prefix", !byte_level);
  if (!add_bos.ok()) return add_bos.status();
  if (!add_space.ok()) return add_space.status();
  vocab.add_bos = *add_bos;
  vocab.add_space_prefix = *add_space && !byte_level;
  auto tokenizer = FromVocab(std::move(vocab));
  if (!tokenizer.ok()) return tokenizer.status();
  if (const GgufValue* chat_template = file.Find("tokenizer.chat_template")) {
    if (chat_template->type != GgufValueType::kString) {
      return bad("has a tokenizer.chat_template that is not a string");
    }
    tokenizer->chat_template_source_ = chat_template->string_value;
  }
  return tokenizer;
}

absl::StatusOr<Tokenizer> Tokenizer::FromVocab(TokenizerVocab vocab) {
  Tokenizer tokenizer;
  tokenizer.vocab_ = std::move(vocab);
  if (auto status = tokenizer.Build(); !status.ok()) return status;
  return tokenizer;
}

absl::Status Tokenizer::Build() {
  const int n = vocab_size();
  if (n == 0) return absl::InvalidArgumentError("the tokenizer vocabulary is empty");
  if (!vocab_.scores.empty() && static_cast<int>(vocab_.scores.size()) != n) {
    return absl::InvalidArgumentError("the tokenizer has a score count unlike its token count");
  }
  if (!vocab_.kinds.empty() && static_cast<int>(vocab_.kinds.size()) != n) {
    return absl::InvalidArgumentError("the tokenizer has a type count unlike its token count");
  }
  const bool byte_level = vocab_.model == TokenizerModel::kByteLevelBpe;
  for (int id : {vocab_.bos_id, vocab_.eos_id}) {
    if (id < 0 || id >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat("special token id ", id, " is not in the ", n, "-token vocabulary"));
    }
  }
  for (int id : {vocab_.unknown_id, vocab_.eot_id, vocab_.eom_id}) {
    if (id < -1 || id >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat("special token id ", id, " is not in the ", n, "-token vocabulary"));
    }
  }
  if (!byte_level && vocab_.unknown_id < 0) {
    return absl::InvalidArgumentError("a SentencePiece vocabulary needs an unknown token");
  }

  std::array<int, 256> byte_token;
  byte_token.fill(-1);
  absl::flat_hash_map<std::string, int> id_of;  // SentencePiece pieces
  token_bytes_.assign(n, std::string());
  for (int id = 0; id < n; ++id) {
    const std::string& text = vocab_.tokens[id];
    const TokenKind kind = vocab_.kinds.empty() ? TokenKind::kNormal : vocab_.kinds[id];
    if (kind == TokenKind::kControl || kind == TokenKind::kUserDefined) {
      if (!text.empty()) specials_.push_back(Special{text, id, kind == TokenKind::kControl});
      if (std::find(std::begin(kEndOfTurnTexts), std::end(kEndOfTurnTexts), text) !=
          std::end(kEndOfTurnTexts)) {
        end_of_generation_.insert(id);
      }
    }
    if (byte_level) {
      if (kind == TokenKind::kUserDefined) {
        token_bytes_[id] = text;
      } else if (kind != TokenKind::kControl && kind != TokenKind::kUnused &&
                 kind != TokenKind::kUnknown) {
        token_bytes_[id] = ByteLevelBpe::SpellingToBytes(text);
      }
      continue;
    }
    const int byte = ParseByteToken(text);
    if (byte >= 0 && (kind == TokenKind::kByte || vocab_.kinds.empty())) {
      if (byte_token[byte] < 0) byte_token[byte] = id;
      token_bytes_[id] = std::string(1, static_cast<char>(byte));
      continue;
    }
    switch (kind) {
      case TokenKind::kControl:
      case TokenKind::kUnused:
        break;  // never part of the text
      case TokenKind::kUnknown:
        token_bytes_[id] = "\xE2\x96\x85";  // U+2585, what llama.cpp prints for <unk>
        break;
      default:
        token_bytes_[id] = absl::StrReplaceAll(text, {{kSentencePieceSpace, " "}});
        id_of.emplace(text, id);  // first id wins when a vocabulary repeats a piece
    }
  }
  // Longest first, so that <|im_start|> is not read as a shorter token's text plus more.
  std::stable_sort(specials_.begin(), specials_.end(), [](const Special& a, const Special& b) {
    return a.text.size() > b.text.size();
  });
  end_of_generation_.insert(vocab_.eos_id);
  if (vocab_.eot_id >= 0) end_of_generation_.insert(vocab_.eot_id);
  if (vocab_.eom_id >= 0) end_of_generation_.insert(vocab_.eom_id);

  if (byte_level) {
    auto bpe = ByteLevelBpe::Create(
        vocab_.tokens, vocab_.merges,
        {.pre = vocab_.pre, .ignore_merges = vocab_.pre == PreTokenizer::kLlama3});
    if (!bpe.ok()) return bpe.status();
    encoder_ = *std::move(bpe);
  } else {
    encoder_ = SentencePieceBpe(std::move(id_of), vocab_.scores, byte_token, vocab_.unknown_id);
  }
  return absl::OkStatus();
}

void Tokenizer::EncodeText(absl::string_view text, bool after_special,
                           std::vector<int>& ids) const {
  if (const auto* spm = std::get_if<SentencePieceBpe>(&encoder_)) {
    // SentencePiece puts its space in front of the text and after each special token.
    spm->Encode(text, vocab_.add_space_prefix && after_special, ids);
  } else if (const auto* bpe = std::get_if<ByteLevelBpe>(&encoder_)) {
    bpe->Encode(text, ids);
  }
}

absl::StatusOr<std::vector<int>> Tokenizer::Encode(absl::string_view text, bool add_bos,
                                                   bool parse_special) const {
  return EncodeParts(text, add_bos, parse_special, [](size_t, size_t) { return true; });
}

absl::StatusOr<std::vector<int>> Tokenizer::EncodeWithMarkup(
    absl::string_view text, std::span<const std::pair<size_t, size_t>> markup, bool add_bos) const {
  for (const auto& [begin, end] : markup) {
    if (begin > end || end > text.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "markup range [", begin, ", ", end, ") is outside the ", text.size(), "-byte text"));
    }
  }
  return EncodeParts(text, add_bos, !markup.empty(), [&](size_t start, size_t length) {
    for (const auto& [begin, end] : markup) {
      if (start >= begin && start + length <= end) return true;
    }
    return false;
  });
}

template <typename Allowed>
absl::StatusOr<std::vector<int>> Tokenizer::EncodeParts(absl::string_view text, bool add_bos,
                                                        bool any_control,
                                                        Allowed control_allowed) const {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError("the text to tokenize is not valid UTF-8");
  }
  std::vector<int> ids;
  if (add_bos && vocab_.add_bos) ids.push_back(vocab_.bos_id);
  if (text.empty()) return ids;

  // Cut the text at special tokens' texts, longest token first; what is left between them is
  // plain text. A fragment is (start, length, id), id -1 for plain text.
  struct Fragment {
    size_t start, length;
    int id;
  };
  std::vector<Fragment> fragments = {{0, text.size(), -1}};
  for (const Special& special : specials_) {
    if (special.control && !any_control) continue;
    std::vector<Fragment> next;
    for (const Fragment& fragment : fragments) {
      if (fragment.id >= 0) {
        next.push_back(fragment);
        continue;
      }
      size_t at = fragment.start;  // plain text from `at` on is not yet copied to `next`
      const size_t end = fragment.start + fragment.length;
      for (size_t from = at;;) {
        const size_t found = text.substr(0, end).find(special.text, from);
        if (found == absl::string_view::npos) break;
        from = found + 1;
        if (special.control && !control_allowed(found, special.text.size())) continue;
        if (found > at) next.push_back({at, found - at, -1});
        next.push_back({found, special.text.size(), special.id});
        at = found + special.text.size();
        from = at;
      }
      if (at < end) next.push_back({at, end - at, -1});
    }
    fragments = std::move(next);
  }
  bool after_special = true;  // the start of the text counts as after a special token
  for (const Fragment& fragment : fragments) {
    if (fragment.id >= 0) {
      ids.push_back(fragment.id);
      after_special = true;
      continue;
    }
    EncodeText(text.substr(fragment.start, fragment.length), after_special, ids);
    after_special = false;
  }
  return ids;
}

std::string Tokenizer::Decode(std::span<const int> ids) const {
  std::string bytes;
  bool first_piece = true;
  for (int id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    absl::string_view piece = token_bytes_[id];
    if (piece.empty()) continue;
    // SentencePiece drops the space that encoding added in front of the text.
    if (first_piece && vocab_.add_space_prefix && piece.front() == ' ') piece.remove_prefix(1);
    first_piece = false;
    absl::StrAppend(&bytes, piece);
  }
  return SanitizeUtf8(bytes);
}

std::string Tokenizer::Describe() const {
  if (vocab_.model == TokenizerModel::kSentencePiece) return "llama (SentencePiece BPE)";
  return absl::StrCat("gpt2 (byte-level BPE, ", PreTokenizerGgufName(vocab_.pre), ")");
}

}  // namespace cascade::engine
