#include "services/router/lib/hashed_embedder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cascade::router {
namespace {

// Signed hashing: a collision adds noise with mean zero instead of a positive bias.
float SignOf(uint64_t hash) { return (hash >> 63) != 0 ? -1.0f : 1.0f; }
// The dense and the sparse bucket come from different bits, so features that collide in
// one view rarely collide in the other.
size_t DenseBucket(uint64_t hash, size_t dimension) { return (hash & 0xffffffffULL) % dimension; }
uint32_t SparseBucket(uint64_t hash, size_t dimension) {
  return static_cast<uint32_t>(((hash >> 32) & 0x7fffffffULL) % dimension);
}

void NormalizeL2(float* values, size_t count) {
  double squared = 0.0;
  for (size_t i = 0; i < count; ++i) squared += double{values[i]} * values[i];
  if (squared <= 0.0) return;  // A text with no features stays the zero vector.
  const float scale = static_cast<float>(1.0 / std::sqrt(squared));
  for (size_t i = 0; i < count; ++i) values[i] *= scale;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HashedEmbedder>> HashedEmbedder::Fit(
    const HashedEmbedderOptions& options, absl::Span<const std::string> corpus) {
  if (options.dimension == 0) {
    return absl::InvalidArgumentError("hashed embedder: dimension must be positive");
  }
  if (options.features.char_ngram_min > options.features.char_ngram_max) {
    return absl::InvalidArgumentError(
        absl::StrCat("hashed embedder: char_ngram_min ", options.features.char_ngram_min,
                     " is above char_ngram_max ", options.features.char_ngram_max));
  }
  absl::flat_hash_map<uint64_t, uint32_t> document_frequency;
  for (const std::string& text : corpus) {
    for (const FeatureCount& feature : ExtractFeatures(text, options.features)) {
      ++document_frequency[feature.hash];
    }
  }
  // Smoothed IDF, always >= 1, so that a feature in every exemplar still counts a little.
  const double documents = static_cast<double>(corpus.size());
  absl::flat_hash_map<uint64_t, float> idf;
  idf.reserve(document_frequency.size());
  for (const auto& [hash, frequency] : document_frequency) {
    idf.emplace(hash, static_cast<float>(std::log((1.0 + documents) / (1.0 + frequency)) + 1.0));
  }
  const float unseen_idf = static_cast<float>(std::log(1.0 + documents) + 1.0);
  return std::unique_ptr<HashedEmbedder>(new HashedEmbedder(options, std::move(idf), unseen_idf));
}

EmbedderFactory HashedEmbedder::Factory(const HashedEmbedderOptions& options) {
  return [options](absl::Span<const std::string> exemplars)
             -> absl::StatusOr<std::shared_ptr<const Embedder>> {
    absl::StatusOr<std::unique_ptr<HashedEmbedder>> embedder = Fit(options, exemplars);
    if (!embedder.ok()) return embedder.status();
    return std::shared_ptr<const Embedder>(std::move(*embedder));
  };
}

float HashedEmbedder::Idf(uint64_t hash) const {
  auto it = idf_.find(hash);
  return it == idf_.end() ? unseen_idf_ : it->second;
}

absl::StatusOr<Embeddings> HashedEmbedder::Embed(absl::Span<const std::string> texts) const {
  Embeddings out;
  out.dimension = options_.dimension;
  out.dense.assign(texts.size() * options_.dimension, 0.0f);
  out.sparse_dimension = options_.sparse_dimension;
  if (options_.sparse_dimension > 0) out.sparse.resize(texts.size());
  std::vector<std::pair<uint32_t, float>> sparse_entries;
  for (size_t row = 0; row < texts.size(); ++row) {
    float* dense = out.row(row);
    sparse_entries.clear();
    for (const FeatureCount& feature : ExtractFeatures(texts[row], options_.features)) {
      const float weight = SignOf(feature.hash) *
                           (1.0f + std::log(static_cast<float>(feature.count))) * Idf(feature.hash);
      dense[DenseBucket(feature.hash, options_.dimension)] += weight;
      if (options_.sparse_dimension > 0) {
        sparse_entries.emplace_back(SparseBucket(feature.hash, options_.sparse_dimension), weight);
      }
    }
    NormalizeL2(dense, options_.dimension);
    if (options_.sparse_dimension == 0) continue;
    std::sort(sparse_entries.begin(), sparse_entries.end());
    SparseVector& sparse = out.sparse[row];
    for (const auto& [index, weight] : sparse_entries) {
      if (!sparse.indices.empty() && sparse.indices.back() == index) {
        sparse.values.back() += weight;
      } else {
        sparse.indices.push_back(index);
        sparse.values.push_back(weight);
      }
    }
    NormalizeL2(sparse.values.data(), sparse.values.size());
  }
  return out;
}

}  // namespace cascade::router
