#include "services/router/lib/text_features.h"

#include <algorithm>

namespace cascade::router {
namespace {

// FNV-1a over the bytes, then a 64-bit finaliser so that every bit of the result depends on
// every input byte (FNV alone leaves the high bits weak, and we slice the hash into parts).
class FeatureHasher {
 public:
  explicit FeatureHasher(uint64_t kind) : state_(kOffset ^ (kind * kPrime)) {}

  FeatureHasher& Add(absl::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= kPrime;
    }
    return *this;
  }

  uint64_t Finish() const {
    uint64_t h = state_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
  }

 private:
  static constexpr uint64_t kOffset = 14695981039346656037ULL;
  static constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t state_;
};

// Distinct seeds keep a word, a bigram and a character n-gram with the same bytes apart.
enum FeatureKind : uint64_t { kWord = 1, kBigram = 2, kCharNgram = 3 };

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

}  // namespace

std::vector<std::string> NormalizedWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (unsigned char c : text) {
    if (IsWordByte(c)) {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                             : static_cast<char>(c));
    } else if (c == '\'') {
      continue;  // Inside a word: joins its parts; elsewhere: nothing.
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::vector<FeatureCount> ExtractFeatures(absl::string_view text,
                                          const TextFeatureOptions& options) {
  const std::vector<std::string> words = NormalizedWords(text);
  std::vector<uint64_t> hashes;
  hashes.reserve(words.size() * 16);
  std::string marked;
  for (size_t i = 0; i < words.size(); ++i) {
    if (options.word_unigrams) hashes.push_back(FeatureHasher(kWord).Add(words[i]).Finish());
    if (options.word_bigrams && i + 1 < words.size()) {
      hashes.push_back(FeatureHasher(kBigram).Add(words[i]).Add(" ").Add(words[i + 1]).Finish());
    }
    if (options.char_ngram_min <= 0) continue;
    marked.clear();
    marked.push_back('<');
    marked += words[i];
    marked.push_back('>');
    const absl::string_view view(marked);
    for (int n = options.char_ngram_min; n <= options.char_ngram_max; ++n) {
      if (static_cast<size_t>(n) > view.size()) break;
      for (size_t start = 0; start + n <= view.size(); ++start) {
        hashes.push_back(FeatureHasher(kCharNgram).Add(view.substr(start, n)).Finish());
      }
    }
  }
  std::sort(hashes.begin(), hashes.end());
  std::vector<FeatureCount> features;
  for (uint64_t hash : hashes) {
    if (!features.empty() && features.back().hash == hash) {
      ++features.back().count;
    } else {
      features.push_back({hash, 1});
    }
  }
  return features;
}

}  // namespace cascade::router
