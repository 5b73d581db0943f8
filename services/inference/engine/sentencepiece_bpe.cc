#include "services/inference/engine/sentencepiece_bpe.h"

#include <queue>

#include "absl/strings/str_replace.h"

namespace cascade::engine {

SentencePieceBpe::SentencePieceBpe(absl::flat_hash_map<std::string, int> id_of,
                                   std::vector<float> scores, std::array<int, 256> byte_token,
                                   int unknown_id)
    : id_of_(std::move(id_of)),
      scores_(std::move(scores)),
      byte_token_(byte_token),
      unknown_id_(unknown_id) {}

void SentencePieceBpe::AppendPiece(absl::string_view piece, std::vector<int>& ids) const {
  if (auto it = id_of_.find(piece); it != id_of_.end()) {
    ids.push_back(it->second);
    return;
  }
  for (unsigned char byte : piece) {
    ids.push_back(byte_token_[byte] >= 0 ? byte_token_[byte] : unknown_id_);
  }
}

void SentencePieceBpe::Encode(absl::string_view text, bool space_prefix,
                              std::vector<int>& ids) const {
  if (text.empty()) return;
  std::string normalized = space_prefix ? std::string(kSentencePieceSpace) : "";
  normalized += absl::StrReplaceAll(text, {{" ", kSentencePieceSpace}});

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
    const float score = scores_.empty() ? 0.0f : scores_[it->second];
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
}

}  // namespace cascade::engine
