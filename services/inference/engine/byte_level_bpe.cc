#include "services/inference/engine/byte_level_bpe.h"

#include <queue>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/inference/engine/unicode_classes.h"

namespace cascade::engine {
namespace {

// GPT-2's byte table: the printable bytes ! to ~, ¡ to ¬ and ® to ÿ stand for themselves;
// the other 68 bytes, in order, take the characters from U+0100 up.
struct ByteTable {
  std::array<char32_t, 256> character{};
  absl::flat_hash_map<char32_t, unsigned char> byte_of;

  ByteTable() {
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      character[b] = printable(b) ? static_cast<char32_t>(b) : next++;
      byte_of[character[b]] = static_cast<unsigned char>(b);
    }
  }
};

const ByteTable& Table() {
  static const ByteTable* table = new ByteTable();
  return *table;
}

}  // namespace

std::string ByteLevelBpe::SpellingToBytes(absl::string_view spelling) {
  std::string out;
  for (const CodePoint& cp : DecodeCodePoints(spelling)) {
    auto it = Table().byte_of.find(cp.value);
    if (it != Table().byte_of.end()) {
      out += static_cast<char>(it->second);
    } else {
      AppendUtf8(cp.value, out);
    }
  }
  return out;
}

std::string ByteLevelBpe::BytesToSpelling(absl::string_view bytes) {
  std::string out;
  for (unsigned char byte : bytes) AppendUtf8(Table().character[byte], out);
  return out;
}

absl::StatusOr<ByteLevelBpe> ByteLevelBpe::Create(const std::vector<std::string>& tokens,
                                                  const std::vector<std::string>& merges,
                                                  Options options) {
  ByteLevelBpe bpe;
  bpe.options_ = options;
  bpe.id_of_.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    bpe.id_of_.emplace(tokens[id], static_cast<int>(id));
  }
  for (int byte = 0; byte < 256; ++byte) {
    std::string spelling;
    AppendUtf8(Table().character[byte], spelling);
    auto it = bpe.id_of_.find(spelling);
    if (it == bpe.id_of_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the byte-level BPE vocabulary has no token for byte ", byte, " ('",
                       spelling, "'); it must have one for each of the 256 bytes"));
    }
    bpe.byte_id_[byte] = it->second;
  }
  bpe.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const absl::string_view merge = merges[rank];
    // The left half is never empty, so the separator is the first space after its start.
    const size_t space = merge.find(' ', 1);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("BPE merge ", rank, " ('", merge, "') ", why));
    };
    if (space == absl::string_view::npos) return bad("is not two tokens separated by a space");
    const absl::string_view left = merge.substr(0, space);
    const absl::string_view right = merge.substr(space + 1);
    auto left_id = bpe.id_of_.find(left);
    auto right_id = bpe.id_of_.find(right);
    auto result = bpe.id_of_.find(absl::StrCat(left, right));
    if (left_id == bpe.id_of_.end() || right_id == bpe.id_of_.end()) {
      return bad("names a token that is not in the vocabulary");
    }
    if (result == bpe.id_of_.end()) return bad("makes a token that is not in the vocabulary");
    // The first (best) rank of a pair wins when a list repeats it.
    bpe.merges_.emplace(PairKey(left_id->second, right_id->second),
                        Merge{static_cast<int>(rank), result->second});
  }
  return bpe;
}

void ByteLevelBpe::Encode(absl::string_view text, std::vector<int>& ids) const {
  for (absl::string_view word : SplitWords(text, options_.pre)) EncodeWord(word, ids);
}

void ByteLevelBpe::EncodeWord(absl::string_view word, std::vector<int>& ids) const {
  if (options_.ignore_merges) {
    if (auto it = id_of_.find(BytesToSpelling(word)); it != id_of_.end()) {
      ids.push_back(it->second);
      return;
    }
  }
  // One symbol per byte, linked in a list so a merge is O(1); id -1 marks a merged-away one.
  if (word.empty()) return;
  struct Symbol {
    int prev, next, id;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (unsigned char byte : word) {
    const int index = static_cast<int>(symbols.size());
    symbols.push_back(Symbol{index - 1, index + 1, byte_id_[byte]});
  }
  symbols.back().next = -1;

  struct Candidate {
    int rank, left, right, left_id, right_id, merged_id;
    bool operator<(const Candidate& other) const {  // the top is the lowest rank, leftmost
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    auto it = merges_.find(PairKey(symbols[left].id, symbols[right].id));
    if (it == merges_.end()) return;
    queue.push(Candidate{it->second.rank, left, right, symbols[left].id, symbols[right].id,
                         it->second.result});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) consider(i - 1, i);

  while (!queue.empty()) {
    const Candidate best = queue.top();
    queue.pop();
    Symbol& left = symbols[best.left];
    Symbol& right = symbols[best.right];
    // Stale: either side has merged since this candidate was queued.
    if (left.next != best.right || left.id != best.left_id || right.id != best.right_id) continue;
    left.id = best.merged_id;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = best.left;
    right.id = -1;
    right.next = -1;
    consider(left.prev, best.left);
    consider(best.left, left.next);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
}

}  // namespace cascade::engine
