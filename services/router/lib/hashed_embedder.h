#pragma once

// The built-in embedder: word and character n-grams hashed into a fixed dimension, with
// sublinear term frequency (1 + ln tf) times IDF learned from the route exemplars, and
// L2-normalised. No model, no network; an index over 15,000 exemplars builds in seconds.
//
// Besides the dense vector for the FAISS index, it emits a wider sparse view of the same
// weighted features: hashing ~60,000 distinct n-grams into 512 buckets collides a lot,
// which a linear scorer pays for in accuracy (about 3 points on CLINC150), while the dense index
// pays for width in memory and search time. The sparse view costs nothing extra to compute.

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/router/lib/embedder.h"
#include "services/router/lib/text_features.h"

namespace cascade::router {

struct HashedEmbedderOptions {
  // Dense dimension (the FAISS index's width). 512 routes CLINC150 as well as 1,024 with
  // the default (blended) scorer, and halves index memory, build and search time.
  size_t dimension = 512;
  // Width of the sparse view; 0 turns it off.
  size_t sparse_dimension = 16384;
  TextFeatureOptions features;
};

class HashedEmbedder : public Embedder {
 public:
  // Learns IDF from `corpus` (the route exemplars). Features never seen in the corpus get
  // the largest IDF: an unknown word is evidence that a query is unlike every route.
  static absl::StatusOr<std::unique_ptr<HashedEmbedder>> Fit(const HashedEmbedderOptions& options,
                                                             absl::Span<const std::string> corpus);

  // A factory for RouteIndexOptions that fits a new embedder to each route set.
  static EmbedderFactory Factory(const HashedEmbedderOptions& options);

  size_t dimension() const override { return options_.dimension; }
  std::string name() const override { return "hashed"; }
  absl::StatusOr<Embeddings> Embed(absl::Span<const std::string> texts) const override;

 private:
  HashedEmbedder(const HashedEmbedderOptions& options, absl::flat_hash_map<uint64_t, float> idf,
                 float unseen_idf)
      : options_(options), idf_(std::move(idf)), unseen_idf_(unseen_idf) {}

  float Idf(uint64_t hash) const;

  HashedEmbedderOptions options_;
  absl::flat_hash_map<uint64_t, float> idf_;
  float unseen_idf_;
};

}  // namespace cascade::router
