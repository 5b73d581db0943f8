#include "services/cache/lib/int8_vector_storage.h"

#include <faiss/impl/FaissAssert.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "services/router/lib/vector_ops.h"

namespace cascade::cache {
namespace {

float ScaleOf(const uint8_t* code, size_t dimension) {
  float scale;
  std::memcpy(&scale, code + dimension, sizeof(scale));
  return scale;
}

float Int8DotScalar(const float* query, const int8_t* values, size_t dimension) {
  float sum = 0.0f;
  for (size_t i = 0; i < dimension; ++i) sum += query[i] * static_cast<float>(values[i]);
  return sum;
}

// 16 codes per iteration, widened to floats in two halves of 8.
__attribute__((target("avx2,fma"))) float Int8DotAvx2(const float* query, const int8_t* values,
                                                      size_t dimension) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dimension; i += 16) {
    const __m128i sixteen = _mm_loadu_si128(reinterpret_cast<const __m128i*>(values + i));
    const __m256 low = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sixteen));
    const __m256 high = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sixteen, 8)));
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), low, s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 8), high, s1);
  }
  const __m256 sum8 = _mm256_add_ps(s0, s1);
  __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(sum8), _mm256_extractf128_ps(sum8, 1));
  sum4 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  sum4 = _mm_add_ss(sum4, _mm_movehdup_ps(sum4));
  float sum = _mm_cvtss_f32(sum4);
  for (; i < dimension; ++i) sum += query[i] * static_cast<float>(values[i]);
  return sum;
}

// Code against code, for the graph's construction (exact integer sums).
int32_t CodeDotScalar(const int8_t* a, const int8_t* b, size_t dimension) {
  int32_t sum = 0;
  for (size_t i = 0; i < dimension; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

__attribute__((target("avx2"))) int32_t CodeDotAvx2(const int8_t* a, const int8_t* b,
                                                    size_t dimension) {
  __m256i sums = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= dimension; i += 16) {
    const __m256i wide_a =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i wide_b =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    sums = _mm256_add_epi32(sums, _mm256_madd_epi16(wide_a, wide_b));
  }
  __m128i four = _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(1, 0, 3, 2)));
  four = _mm_add_epi32(four, _mm_shuffle_epi32(four, _MM_SHUFFLE(2, 3, 0, 1)));
  int32_t sum = _mm_cvtsi128_si32(four);
  for (; i < dimension; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

// The router's switch (CASCADE_ROUTER_SCALAR=1 or a CPU without AVX2+FMA: scalar loops),
// asked on first use: a namespace-scope constant could be initialised before the router's.
using Int8Dot = float (*)(const float*, const int8_t*, size_t);
using CodeDot = int32_t (*)(const int8_t*, const int8_t*, size_t);

Int8Dot Int8DotLoop() {
  static const Int8Dot loop = router::VectorOpsUseAvx2() ? Int8DotAvx2 : Int8DotScalar;
  return loop;
}

CodeDot CodeDotLoop() {
  static const CodeDot loop = router::VectorOpsUseAvx2() ? CodeDotAvx2 : CodeDotScalar;
  return loop;
}

const int8_t* Values(const uint8_t* code) { return reinterpret_cast<const int8_t*>(code); }

// The loops are picked once per computer (one per search or build), not per distance.
class Int8DistanceComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  Int8DistanceComputer(const uint8_t* codes, size_t code_size, size_t dimension)
      : faiss::FlatCodesDistanceComputer(codes, code_size), dimension_(dimension) {}

  void set_query(const float* x) override { query_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return dot_(query_, Values(code), dimension_) * ScaleOf(code, dimension_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    const uint8_t* a = codes + i * code_size;
    const uint8_t* b = codes + j * code_size;
    return static_cast<float>(code_dot_(Values(a), Values(b), dimension_)) *
           ScaleOf(a, dimension_) * ScaleOf(b, dimension_);
  }

 private:
  size_t dimension_;
  const float* query_ = nullptr;
  const Int8Dot dot_ = Int8DotLoop();
  const CodeDot code_dot_ = CodeDotLoop();
};

}  // namespace

float Int8InnerProduct(const float* query, const uint8_t* code, size_t dimension) {
  return Int8DotLoop()(query, Values(code), dimension) * ScaleOf(code, dimension);
}

Int8VectorStorage::Int8VectorStorage(faiss::Index::idx_t dimension)
    : faiss::IndexFlatCodes(static_cast<size_t>(dimension) + sizeof(float), dimension,
                            faiss::METRIC_INNER_PRODUCT) {}

void Int8VectorStorage::sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
  const auto dimension = static_cast<size_t>(d);
  for (idx_t v = 0; v < n; ++v) {
    const float* row = x + v * dimension;
    uint8_t* code = bytes + v * code_size;
    float max_abs = 0.0f;
    for (size_t i = 0; i < dimension; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
    const float scale = max_abs / 127.0f;
    const float inverse = max_abs > 0.0f ? 1.0f / scale : 0.0f;
    for (size_t i = 0; i < dimension; ++i) {
      const float level = std::clamp(std::nearbyint(row[i] * inverse), -127.0f, 127.0f);
      code[i] = static_cast<uint8_t>(static_cast<int8_t>(level));
    }
    std::memcpy(code + dimension, &scale, sizeof(scale));
  }
}

void Int8VectorStorage::sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
  const auto dimension = static_cast<size_t>(d);
  for (idx_t v = 0; v < n; ++v) {
    const uint8_t* code = bytes + v * code_size;
    const float scale = ScaleOf(code, dimension);
    for (size_t i = 0; i < dimension; ++i) {
      x[v * dimension + i] = static_cast<float>(Values(code)[i]) * scale;
    }
  }
}

void Int8VectorStorage::search(idx_t, const float*, idx_t, float*, idx_t*,
                               const faiss::SearchParameters*) const {
  FAISS_THROW_MSG("Int8VectorStorage is searched through its HNSW graph only");
}

faiss::FlatCodesDistanceComputer* Int8VectorStorage::get_FlatCodesDistanceComputer() const {
  return new Int8DistanceComputer(codes.data(), code_size, static_cast<size_t>(d));
}

}  // namespace cascade::cache
