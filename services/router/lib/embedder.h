#pragma once

// Turns texts into vectors. The router needs one L2-normalised dense vector per text (what
// the FAISS index holds); an embedder may add a sparse, wider view of the same text that
// linear scorers can use (the hashed embedder does; a remote embedding model does not).
// Batched, so that a remote embedder makes one request per batch.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cascade::router {

struct SparseVector {
  std::vector<uint32_t> indices;  // Ascending, unique.
  std::vector<float> values;
};

struct Embeddings {
  size_t dimension = 0;
  // rows() * dimension floats, row-major.
  std::vector<float> dense;
  // 0 and `sparse` empty when the embedder has no sparse view; else one vector per row with
  // indices below sparse_dimension.
  size_t sparse_dimension = 0;
  std::vector<SparseVector> sparse;

  size_t rows() const { return dimension == 0 ? 0 : dense.size() / dimension; }
  const float* row(size_t i) const { return dense.data() + i * dimension; }
  float* row(size_t i) { return dense.data() + i * dimension; }
};

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Length of every dense vector.
  virtual size_t dimension() const = 0;
  // A short name for logs ("hashed", "openai").
  virtual std::string name() const = 0;
  // One row per text, in order. Thread-safe. A remote embedder returns Unavailable (or
  // DeadlineExceeded) when its endpoint fails.
  virtual absl::StatusOr<Embeddings> Embed(absl::Span<const std::string> texts) const = 0;
};

// Makes the embedder for a route set from all its exemplars: the hashed embedder learns its
// term weights from them, a remote embedder can ignore them and return a shared instance.
using EmbedderFactory = std::function<absl::StatusOr<std::shared_ptr<const Embedder>>(
    absl::Span<const std::string> exemplars)>;

}  // namespace cascade::router
