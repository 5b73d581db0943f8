#include "services/inference/engine/tokenizer.h"

#include <cstdio>
#include <queue>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/text/utf8.h"

namespace cascade::engine {
namespace {

constexpr absl::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space

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

absl::Status Unsupported(const GgufFile& file, absl::string_view model) {
  std::string what = absl::StrCat("tokenizer model '", model, "'");
  if (model == "gpt2")
    what = "a GPT-2 style byte-level BPE tokenizer (tokenizer.ggml.model = gpt2)";
  return absl::InvalidArgumentError(absl::StrCat(
      "GGUF file '", file.path(), "' uses ", what,
      ", which this engine does not support yet; supported: tokenizer.ggml.model = llama "
      "(SentencePiece BPE with byte fallback)"));
}

}  // namespace

absl::StatusOr<Tokenizer> Tokenizer::FromGguf(const GgufFile& file) {
  auto model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model != "llama") return Unsupported(file, *model);

  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' ", what));
  };
  TokenizerVocab vocab;
  const GgufValue* tokens = file.Find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->type != GgufValueType::kArray ||
      tokens->array_type != GgufValueType::kString || tokens->array.empty()) {
    return bad("has no tokenizer.ggml.tokens array of strings");
  }
  for (const GgufValue& token : tokens->array) vocab.tokens.push_back(token.string_value);
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
  auto read_id = [&](absl::string_view key, int fallback, int& out) -> absl::Status {
    auto id = file.GetInt(key, fallback);
    if (!id.ok()) return id.status();
    if (*id < 0 || *id >= static_cast<int64_t>(n)) {
      return bad(absl::StrCat("has ", key, " = ", *id, ", outside the vocabulary of ", n));
    }
    out = static_cast<int>(*id);
    return absl::OkStatus();
  };
  if (auto s = read_id("tokenizer.ggml.unknown_token_id", 0, vocab.unknown_id); !s.ok()) return s;
  if (auto s = read_id("tokenizer.ggml.bos_token_id", 1, vocab.bos_id); !s.ok()) return s;
  if (auto s = read_id("tokenizer.ggml.eos_token_id", 2, vocab.eos_id); !s.ok()) return s;
  auto add_bos = file.GetBool("tokenizer.ggml.add_bos_token", true);
  auto add_space = file.GetBool("tokenizer.ggml.add_space_prefix", true);
  if (!add_bos.ok()) return add_bos.status();
  if (!add_space.ok()) return add_space.status();
  vocab.add_bos = *add_bos;
  vocab.add_space_prefix = *add_space;
  return FromVocab(std::move(vocab));
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
  for (int id : {vocab_.unknown_id, vocab_.bos_id, vocab_.eos_id}) {
    if (id < 0 || id >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat("special token id ", id, " is not in the ", n, "-token vocabulary"));
    }
  }
  byte_token_.fill(-1);
  token_bytes_.resize(n);
  id_of_.reserve(n);
  for (int id = 0; id < n; ++id) {
    const std::string& text = vocab_.tokens[id];
    const TokenKind kind = vocab_.kinds.empty() ? TokenKind::kNormal : vocab_.kinds[id];
    const int byte = ParseByteToken(text);
    if (byte >= 0 && (kind == TokenKind::kByte || vocab_.kinds.empty())) {
      if (byte_token_[byte] < 0) byte_token_[byte] = id;
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
        token_bytes_[id] = absl::StrReplaceAll(text, {{kSpaceMarker, " "}});
        id_of_.emplace(text, id);  // first id wins when a vocabulary repeats a piece
    }
  }
  return absl::OkStatus();
}

void Tokenizer::AppendPiece(absl::string_view piece, std::vector<int>& ids) const {
  if (auto it = id_of_.find(piece); it != id_of_.end()) {
    ids.push_back(it->second);
    return;
  }
  for (unsigned char byte : piece) {
    ids.push_back(byte_token_[byte] >= 0 ? byte_token_[byte] : vocab_.unknown_id);
  }
}

absl::StatusOr<std::vector<int>> Tokenizer::Encode(absl::string_view text, bool add_bos) const {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError("the text to tokenize is not valid UTF-8");
  }
  std::vector<int> ids;
  if (add_bos && vocab_.add_bos) ids.push_back(vocab_.bos_id);
  if (text.empty()) return ids;

  std::string normalized = vocab_.add_space_prefix ? std::string(kSpaceMarker) : "";
  normalized += absl::StrReplaceAll(text, {{" ", kSpaceMarker}});

  // Start with one symbol per character, linked in a list so merges are O(1).
  struct Symbol {
    int prev, next;
    size_t start, length;  // length 0 once merged into its left neighbour
  };
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < normalized.size();) {
    size_t length = 1;
    const auto lead = static_cast<unsigned char>(normalized[i]);
    if (lead >= 0xF0)
      length = 4;
    else if (lead >= 0xE0)
      length = 3;
    else if (lead >= 0xC0)
      length = 2;
    const int index = static_cast<int>(symbols.size());
    symbols.push_back(Symbol{index - 1, index + 1, i, length});
    i += length;
  }
  symbols.back().next = -1;

  // Candidate merges of adjacent symbols, best score first, leftmost first among equals. A
  // candidate goes stale when either side has merged since; its recorded length tells.
  struct Candidate {
    float score;
    int left, right;
    size_t length;
    bool operator<(const Candidate& other) const {
      return score != other.score ? score < other.score : left > other.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t length = symbols[left].length + symbols[right].length;
    auto it = id_of_.find(absl::string_view(normalized).substr(symbols[left].start, length));
    if (it == id_of_.end()) return;
    const float score = vocab_.scores.empty() ? 0.0f : vocab_.scores[it->second];
    queue.push(Candidate{score, left, right, length});
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    consider(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Candidate best = queue.top();
    queue.pop();
    Symbol& left = symbols[best.left];
    Symbol& right = symbols[best.right];
    if (left.length == 0 || right.length == 0 || left.length + right.length != best.length) {
      continue;
    }
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = best.left;
    consider(left.prev, best.left);
    consider(best.left, left.next);
  }

  for (int i = 0; i >= 0; i = symbols[i].next) {
    AppendPiece(absl::string_view(normalized).substr(symbols[i].start, symbols[i].length), ids);
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

}  // namespace cascade::engine
