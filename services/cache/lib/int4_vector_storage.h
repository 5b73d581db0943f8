#pragma once

// The storage the answer cache's HNSW graph reads: each vector as 4-bit codes and a scale
// (issue 23's miss latency). A search in a bucket of 100,000 entries visits a few thousand
// rows, each a random read from memory, and waits on those reads: at 512 dimensions a row
// is 260 bytes (5 cache lines) against 516 as 8-bit codes (9, the storage before these)
// and 2,048 as floats (32).
//
// Row x is stored as levels round(x / s) in [-7, 7], s = max|x| / 7, packed two to a byte
// (code_dot.h), then s (a float). The query is rounded to 8-bit levels once per search, so
// each distance is one integer product. The codes only rank: SemanticIndex re-ranks the
// graph's best few on the float rows, so the similarity a threshold sees is exact.

#include <faiss/IndexFlatCodes.h>

#include <cstddef>
#include <cstdint>

namespace cascade::cache {

class Int4VectorStorage final : public faiss::IndexFlatCodes {
 public:
  // Inner-product metric (larger is more similar), as the graph's other storages.
  explicit Int4VectorStorage(faiss::Index::idx_t dimension);

  void sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
  void sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
  // The graph asks the distance computer, never this: refused (FAISS exception).
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

}  // namespace cascade::cache
