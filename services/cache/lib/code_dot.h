#pragma once

// Rounding rows to small integer levels, and the integer products the answer cache's HNSW
// graph ranks by (int4_vector_storage.h): a query rounded to 8-bit levels against a row's
// 4-bit codes (the search), and two rows' codes (the construction). Each has three loops
// with the same exact sums: scalar, AVX2 and AVX-512 VNNI (64 codes per instruction); tests
// compare them.

#include <cstddef>
#include <cstdint>

namespace cascade::cache {

// Row x as levels round(x / s) in [-max_level, max_level], s = max|x| / max_level; returns s
// (0 for a zero row, whose levels are all 0).
float RoundToLevels(const float* row, size_t dimension, int max_level, int8_t* levels);

// 4-bit codes: levels in [-7, 7] stored plus 8 as nibbles, 64 to a block of 32 bytes (byte j
// holds element j in its low nibble and element j + 32 in its high one), the last block
// padded with level 0.
size_t Int4PaddedDimension(size_t dimension);  // a multiple of 64
void PackInt4(const int8_t* levels, size_t dimension, uint8_t* packed);
void UnpackInt4(const uint8_t* packed, size_t dimension, int8_t* levels);

// sum of query[i] * nibble[i] over `padded_dimension` (a multiple of 64) elements: the
// nibbles (0..15) are the levels plus 8, so the levels' product is this less 8 * sum(query).
// The query is 8-bit levels, zero beyond the row's dimension.
using Int4NibbleDot = int32_t (*)(const int8_t* query, const uint8_t* packed,
                                  size_t padded_dimension);

int32_t Int4NibbleDotScalar(const int8_t* query, const uint8_t* packed, size_t padded_dimension);
int32_t Int4NibbleDotAvx2(const int8_t* query, const uint8_t* packed, size_t padded_dimension);
int32_t Int4NibbleDotVnni(const int8_t* query, const uint8_t* packed, size_t padded_dimension);

// The levels' product of two packed rows (sum of (nibble_a - 8) * (nibble_b - 8)) over
// `padded_dimension` elements: two stored rows, in the graph's construction.
using Int4PairDot = int32_t (*)(const uint8_t* a, const uint8_t* b, size_t padded_dimension);

int32_t Int4PairDotScalar(const uint8_t* a, const uint8_t* b, size_t padded_dimension);
int32_t Int4PairDotAvx2(const uint8_t* a, const uint8_t* b, size_t padded_dimension);
int32_t Int4PairDotVnni(const uint8_t* a, const uint8_t* b, size_t padded_dimension);

// Which of the vector loops this CPU runs.
bool CpuHasAvx2();
bool CpuHasAvx512Vnni();

// The fastest loop the CPU runs, or the scalar one under the router's switch
// (CASCADE_ROUTER_SCALAR=1, the benchmarks' baseline). Asked once, on first use.
Int4NibbleDot PickInt4NibbleDot();
Int4PairDot PickInt4PairDot();

}  // namespace cascade::cache
