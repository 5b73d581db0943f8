#pragma once

// The integer product of two rows of signed 8-bit codes (int8_vector_storage.h): what the
// answer cache's HNSW graph ranks by, in its construction (two stored rows) and its search
// (the query, rounded to codes once, against each row it visits). Three loops give the same
// exact sums: scalar, AVX2 (16 codes per step) and AVX-512 VNNI (64 per instruction).
// Codes are in [-127, 127] (the VNNI loop relies on it: -128 would overflow its offset).

#include <cstddef>
#include <cstdint>

namespace cascade::cache {

using Int8CodeDot = int32_t (*)(const int8_t* a, const int8_t* b, size_t dimension);

int32_t Int8CodeDotScalar(const int8_t* a, const int8_t* b, size_t dimension);
int32_t Int8CodeDotAvx2(const int8_t* a, const int8_t* b, size_t dimension);
int32_t Int8CodeDotVnni(const int8_t* a, const int8_t* b, size_t dimension);

// Which of the vector loops this CPU runs.
bool CpuHasAvx2();
bool CpuHasAvx512Vnni();

// The fastest loop the CPU runs, or the scalar one under the router's switch
// (CASCADE_ROUTER_SCALAR=1, the benchmarks' baseline). Asked once, on first use.
Int8CodeDot PickInt8CodeDot();

}  // namespace cascade::cache
