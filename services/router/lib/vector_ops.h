#pragma once

// The two vector loops a Route() spends its time in, with AVX2+FMA when the CPU has them
// (chosen once, at run time). Debian's FAISS is built for baseline x86-64, so its versions
// are SSE2 at best, and scalar for lengths that are not a multiple of 4 (150 routes).
//  - InnerProduct: every HNSW distance (the exemplar index hands it to FAISS through its
//    own flat storage, exemplar_index.cc); about half of a Route().
//  - AddScaled: the linear scorer, one weight row per query feature.

#include <cstddef>

namespace cascade::router {

float InnerProduct(const float* a, const float* b, size_t dimension);

// y[i] += a * x[i] for i < n.
void AddScaled(float* y, float a, const float* x, size_t n);

// Whether InnerProduct and AddScaled use AVX2+FMA (not when CASCADE_ROUTER_SCALAR=1, the
// benchmarks' baseline).
bool VectorOpsUseAvx2();

}  // namespace cascade::router
