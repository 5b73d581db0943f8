#pragma once

// The nearest-neighbour part of the semantic answer cache (issue 23): one SemanticIndex per
// (scope, context_key) bucket of the AnswerCache, holding L2-normalised embeddings under the
// cache's entry ids, answering "which stored embedding has the highest cosine similarity
// (dot product) with this query".
//
// Why two modes. The issue allows a semantic miss 0.5 ms at p99 with 100,000 entries. An
// exact scan of 100,000 x 512 floats reads 200 MB per lookup (tens of milliseconds), so a
// bucket that large needs an approximate index; most buckets are small (a bucket is one
// tenant's conversations that share their earlier turns), and for them an exact scan is
// cheaper than a graph and exact. So:
//   exact scan  below `hnsw_min_entries` live entries: every row, ties to the older row.
//   HNSW        from `hnsw_min_entries` on (a FAISS IndexHNSW graph over our own storage:
//               4-bit codes that the graph ranks by, int4_vector_storage.h, searched by
//               hnsw_graph_search.h; the float rows stay here, and the graph's best few are
//               re-ranked on them exactly, so the similarity returned is exact whatever
//               the codes). HNSW cannot delete, so a removed
//               entry becomes a tombstone that the search skips (a FAISS IDSelector), and the
//               graph is rebuilt from the live rows when tombstones pass `max_tombstone_share`
//               of the rows: the rebuild costs about one insert per live row, paid once per
//               share*rows removals.
// Deterministic: the graph is built on the calling thread with a fixed level seed, so the
// same sequence of Add/Remove calls always gives the same answers.
//
// Not thread-safe, not even two Nearest calls at once (they share the search's scratch memory):
// the AnswerCache calls it under its own mutex.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "services/cache/lib/hnsw_graph_search.h"

namespace faiss {
struct IndexHNSW;
}

namespace cascade::cache {

enum class HnswStorage { kInt4, kFloat };

struct SemanticIndexOptions {
  // From this many live entries on, search an HNSW graph instead of scanning every row. At
  // 512 dimensions an exact scan of 2,048 rows costs about what one HNSW search does.
  size_t hnsw_min_entries = 2048;
  // HNSW graph degree and build/search beam widths: recall against insert and search cost.
  int hnsw_m = 16;
  int hnsw_ef_construction = 40;
  int hnsw_ef_search = 64;
  // What the graph ranks by: 4-bit codes (int4_vector_storage.h: a sixth of the float
  // rows' memory traffic) or the float rows (kept for the benchmark's comparison). The float
  // rows are kept either way, for the re-ranking.
  HnswStorage hnsw_storage = HnswStorage::kInt4;
  // How many of the graph's best are re-ranked on the float rows.
  int hnsw_rerank = 8;
  // FAISS's own graph search (one row read at a time) instead of ours, which prefetches a
  // node's neighbours together (hnsw_graph_search.h); kept for the benchmark's comparison.
  bool hnsw_faiss_search = false;
  // Rebuild (or compact) once removed rows exceed this share of all rows.
  double max_tombstone_share = 0.5;
};

struct SemanticMatch {
  uint64_t id;
  float similarity;
};

class SemanticIndex {
 public:
  SemanticIndex(size_t dimension, const SemanticIndexOptions& options);
  ~SemanticIndex();
  SemanticIndex(const SemanticIndex&) = delete;
  SemanticIndex& operator=(const SemanticIndex&) = delete;

  // Stores `embedding` (`dimension` floats, L2-normalised) under `id`, which must not be
  // present (the caller removes it first).
  void Add(uint64_t id, const float* embedding);

  // Whether `id` was present.
  bool Remove(uint64_t id);

  // The live entry most similar to `query`, if any. Approximate in HNSW mode.
  std::optional<SemanticMatch> Nearest(const float* query) const;

  size_t size() const { return row_of_.size(); }
  bool empty() const { return row_of_.empty(); }
  bool uses_hnsw() const { return graph_ != nullptr; }
  // About what a row costs the HNSW graph once the bucket has one: its code and its level-0
  // links (for the cache's memory bound; the float row is counted apart).
  static size_t GraphBytesPerRow(size_t dimension, const SemanticIndexOptions& options);

  // Rows held, live or not (for tests of the tombstone rebuild).
  size_t rows() const { return row_ids_.size(); }

 private:
  const float* Row(size_t row) const;
  void AppendRow(uint64_t id, const float* embedding);
  // Rebuilds from the live rows: HNSW from `hnsw_min_entries` live entries on, else flat.
  void Rebuild();

  size_t dimension_;
  SemanticIndexOptions options_;
  // Every row, live or not, as floats (the exact scan's rows; HNSW's re-ranking).
  std::vector<float> flat_rows_;
  std::unique_ptr<faiss::IndexHNSW> graph_;
  // Per row (FAISS's sequential id): the entry id and whether it is live.
  std::vector<uint64_t> row_ids_;
  std::vector<bool> row_live_;
  absl::flat_hash_map<uint64_t, size_t> row_of_;
  mutable HnswSearchScratch search_scratch_;
};

}  // namespace cascade::cache
