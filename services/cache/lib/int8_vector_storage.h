#pragma once

// The storage the answer cache's HNSW graph reads: each vector as 8-bit codes and a scale,
// not as floats (issue 23's miss latency). A search in a bucket of 100,000 entries visits a
// few thousand rows, each one a random read from memory: at 512 dimensions a float row is 32
// cache lines, a code row 9, and the search waits on memory, not on arithmetic.
//
// The codes only rank: SemanticIndex keeps the float rows and re-ranks the graph's best few
// exactly, so the similarity a threshold is compared with is the exact one. Row x is stored
// as round(x / s), s = max|x| / 127, then s (a float). A query is rounded the same way, once
// per search, so each distance is an integer product of two code rows (AVX-512 VNNI where
// the CPU has it).

#include <faiss/IndexFlatCodes.h>

#include <cstddef>
#include <cstdint>

namespace cascade::cache {

class Int8VectorStorage final : public faiss::IndexFlatCodes {
 public:
  // Inner-product metric (larger is more similar), as the graph's other storage.
  explicit Int8VectorStorage(faiss::Index::idx_t dimension);

  void sa_encode(idx_t n, const float* x, uint8_t* bytes) const override;
  void sa_decode(idx_t n, const uint8_t* bytes, float* x) const override;
  // The graph asks the distance computer, never this: refused (FAISS exception).
  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

}  // namespace cascade::cache
