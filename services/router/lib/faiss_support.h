#pragma once

// What the project's FAISS HNSW indexes share (the router's exemplar index, the answer
// cache's semantic index): flat storage whose distances are our InnerProduct (AVX2+FMA when
// the CPU has it; Debian's FAISS is built for baseline x86-64), FAISS held to the caller's
// thread, and a fixed seed for the levels HNSW draws.

#include <faiss/IndexFlat.h>

#include <cstdint>

namespace cascade::router {

// IndexFlatIP whose distance computer is InnerProduct (vector_ops.h): the HNSW graph calls
// it for every node it visits, in search and in construction.
class FlatInnerProductStorage final : public faiss::IndexFlatIP {
 public:
  explicit FlatInnerProductStorage(faiss::Index::idx_t dimension) : faiss::IndexFlatIP(dimension) {}

  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// FAISS opens an OpenMP parallel region in every add and search, even for one query. From
// many request threads that means a thread team per request thread and cores fighting over
// spin-waits; and a parallel HNSW build links points in an order that depends on the
// threads' timing, so two builds of the same data give different graphs. While one of these
// lives, FAISS runs on the caller's thread (omp_set_num_threads changes only the calling
// thread's setting; the previous one is put back).
class SingleThreadedOpenMp {
 public:
  SingleThreadedOpenMp();
  ~SingleThreadedOpenMp();
  SingleThreadedOpenMp(const SingleThreadedOpenMp&) = delete;
  SingleThreadedOpenMp& operator=(const SingleThreadedOpenMp&) = delete;

 private:
  int previous_;
};

// HNSW draws each point's level from its generator. FAISS seeds it with a constant today;
// setting it keeps builds repeatable whatever a FAISS version does.
inline constexpr int64_t kHnswLevelSeed = 12345;

}  // namespace cascade::router
