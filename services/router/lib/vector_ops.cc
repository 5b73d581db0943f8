#include "services/router/lib/vector_ops.h"

#include <immintrin.h>

#include <cstdlib>
#include <string_view>

namespace cascade::router {
namespace {

float InnerProductScalar(const float* a, const float* b, size_t dimension) {
  float sum = 0.0f;
  for (size_t i = 0; i < dimension; ++i) sum += a[i] * b[i];
  return sum;
}

// Four independent accumulators hide the FMA latency; 32 floats per iteration.
__attribute__((target("avx2,fma"))) float InnerProductAvx2(const float* a, const float* b,
                                                           size_t dimension) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
         s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dimension; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= dimension; i += 8) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  }
  const __m256 sum8 = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 sum4 = _mm_add_ps(_mm256_castps256_ps128(sum8), _mm256_extractf128_ps(sum8, 1));
  sum4 = _mm_add_ps(sum4, _mm_movehl_ps(sum4, sum4));
  sum4 = _mm_add_ss(sum4, _mm_movehdup_ps(sum4));
  float sum = _mm_cvtss_f32(sum4);
  for (; i < dimension; ++i) sum += a[i] * b[i];
  return sum;
}

void AddScaledScalar(float* y, float a, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

__attribute__((target("avx2,fma"))) void AddScaledAvx2(float* y, float a, const float* x,
                                                       size_t n) {
  const __m256 scale = _mm256_set1_ps(a);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(scale, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

// CASCADE_ROUTER_SCALAR=1 forces the scalar loops: the baseline the benchmarks compare with.
bool HasAvx2() {
  const char* scalar = std::getenv("CASCADE_ROUTER_SCALAR");
  if (scalar != nullptr && std::string_view(scalar) == "1") return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// Decided on first use, not at static initialisation: a static constant of another file may
// ask (VectorOpsUseAvx2) before this file's constants are initialised, and the order of
// initialisation across files is unspecified.
bool UseAvx2() {
  static const bool avx2 = HasAvx2();
  return avx2;
}

// Initialised in this file, after UseAvx2: the hot loops pay no first-use check.
const auto kInnerProduct = UseAvx2() ? InnerProductAvx2 : InnerProductScalar;
const auto kAddScaled = UseAvx2() ? AddScaledAvx2 : AddScaledScalar;

}  // namespace

float InnerProduct(const float* a, const float* b, size_t dimension) {
  return kInnerProduct(a, b, dimension);
}

void AddScaled(float* y, float a, const float* x, size_t n) { kAddScaled(y, a, x, n); }

bool VectorOpsUseAvx2() { return UseAvx2(); }

}  // namespace cascade::router
