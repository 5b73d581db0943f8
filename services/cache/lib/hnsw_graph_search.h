#pragma once

// The answer cache's search of a FAISS HNSW graph (issue 23's miss latency). The graph is
// built by FAISS (faiss::IndexHNSW over flat codes: int4_vector_storage.h, or float rows);
// the search is ours because FAISS 1.7.3's scores one neighbour at a time, so each visited
// row is a cache miss the search waits on before it asks for the next. A miss in a bucket
// of 100,000 entries visits a few thousand rows. Here, when the beam takes a node, every
// unvisited neighbour's row is requested from memory first (up to 2*M prefetches in
// flight), then all are scored: the waits overlap instead of adding up.
//
// The algorithm is the usual one (Malkov and Yashunin): greedy descent through the upper
// levels from the entry point, then a beam of `ef` on level 0 that stops when its best
// unexpanded candidate is worse than the beam's worst. Rows `live` marks false (tombstones)
// are walked through but never returned. Similarities are what the storage's distance
// computer gives (inner product on its codes): larger is more similar.

#include <cstdint>
#include <vector>

namespace faiss {
struct IndexHNSW;
}

namespace cascade::cache {

struct ScoredRow {
  float similarity;
  int64_t row;
};

// Memory a search reuses from one call to the next (not thread-safe: one per index).
struct HnswSearchScratch {
  std::vector<uint32_t> visited_stamp;  // per row: the search that last visited it
  uint32_t stamp = 0;
  std::vector<ScoredRow> candidates;  // max-heap on similarity: the next node to expand
  std::vector<ScoredRow> beam;        // min-heap on similarity: the best `ef` seen
  std::vector<ScoredRow> results;     // min-heap on similarity: the best `k` live rows
  std::vector<int64_t> fresh;         // a node's unvisited neighbours
  std::vector<float> fresh_similarity;
};

// The (at most) `k` most similar live rows the search reached, most similar first; ties go
// to the lower row. `graph` must hold at least one row and store flat codes
// (faiss::IndexFlatCodes); `live` is null when every row is live.
std::vector<ScoredRow> SearchHnswGraph(const faiss::IndexHNSW& graph, const float* query, int ef,
                                       int k, const std::vector<bool>* live,
                                       HnswSearchScratch& scratch);

}  // namespace cascade::cache
