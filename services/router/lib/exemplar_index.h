#pragma once

// Nearest exemplars by inner product over L2-normalised vectors (= cosine similarity), on
// FAISS: exact (IndexFlatIP) for small route sets, HNSW above a configurable size, where an
// exact scan of every exemplar would cost more than the whole latency budget.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

namespace faiss {
struct Index;
}

namespace cascade::router {

struct ExemplarIndexOptions {
  // From this many exemplars on, use HNSW instead of an exact scan.
  size_t hnsw_min_exemplars = 4096;
  // HNSW graph degree, build-time and search-time beam widths: recall against cost. The
  // cheapest search with recall@10 >= 0.95 against the exact scan on CLINC150's 15,000
  // hashed exemplars (0.954, at a fifth of the exact scan's time; the grid of
  // cascade-router-hnsw-recall is in docs/benchmarks.md). 16/20/32 found only 0.744.
  int hnsw_m = 32;
  int hnsw_ef_construction = 80;
  int hnsw_ef_search = 64;
};

struct Neighbor {
  int64_t exemplar;  // Row in the vectors the index was built from.
  float similarity;
};

class ExemplarIndex {
 public:
  // `vectors` holds `count` rows of `dimension` floats, each L2-normalised. Repeatable: the
  // same vectors and options always give the same graph, hence the same neighbours (the
  // HNSW graph is built on the calling thread, with fixed seeds).
  static absl::StatusOr<std::unique_ptr<ExemplarIndex>> Build(const float* vectors, size_t count,
                                                              size_t dimension,
                                                              const ExemplarIndexOptions& options);
  ~ExemplarIndex();

  // Up to `k` nearest exemplars, most similar first. Thread-safe; runs on the calling
  // thread only (no OpenMP team per request).
  std::vector<Neighbor> Search(const float* query, int k) const;

  // Cosine similarity between `query` and exemplar `exemplar`.
  float Similarity(const float* query, int64_t exemplar) const;

  size_t size() const { return count_; }
  size_t dimension() const { return dimension_; }
  bool is_hnsw() const { return hnsw_; }

  // Changes the HNSW search beam width (no-op for an exact index), for benchmarks that
  // sweep it over one graph. Not thread-safe: call before any Search().
  void set_hnsw_ef_search(int ef_search);

 private:
  ExemplarIndex(std::unique_ptr<faiss::Index> index, const float* rows, size_t count,
                size_t dimension, bool hnsw);

  std::unique_ptr<faiss::Index> index_;
  // The rows inside the index's flat storage (no second copy).
  const float* rows_;
  size_t count_;
  size_t dimension_;
  bool hnsw_;
};

}  // namespace cascade::router
