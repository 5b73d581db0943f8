#pragma once

// Text normalisation and n-gram features for the hashed embedder.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cascade::router {

// Lowercased words: ASCII letters are lowercased, digits kept, apostrophes dropped
// ("what's" -> "whats", so contractions match their unpunctuated spelling), other ASCII
// punctuation and whitespace separate words. Bytes of multi-byte UTF-8 characters are word
// characters, so text in other scripts still forms words.
std::vector<std::string> NormalizedWords(absl::string_view text);

struct TextFeatureOptions {
  bool word_unigrams = true;
  bool word_bigrams = true;
  // Character n-grams of each word with boundary marks ("<word>"), lengths in
  // [char_ngram_min, char_ngram_max]; 0 turns them off. They make the features robust to
  // inflections and typos ("transfer" / "transferring").
  int char_ngram_min = 3;
  int char_ngram_max = 5;
};

struct FeatureCount {
  uint64_t hash;  // Stable across processes and platforms.
  uint32_t count;
};

// The distinct features of `text` with their counts, sorted by hash.
std::vector<FeatureCount> ExtractFeatures(absl::string_view text,
                                          const TextFeatureOptions& options);

}  // namespace cascade::router
