#include "services/cache/lib/int8_vector_storage.h"

#include <faiss/impl/FaissAssert.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "services/cache/lib/int8_code_dot.h"

namespace cascade::cache {
namespace {

float ScaleOf(const uint8_t* code, size_t dimension) {
  float scale;
  std::memcpy(&scale, code + dimension, sizeof(scale));
  return scale;
}

const int8_t* Values(const uint8_t* code) { return reinterpret_cast<const int8_t*>(code); }

// Row x as round(x / s), s = max|x| / 127; returns s.
float Quantize(const float* row, size_t dimension, int8_t* values) {
  float max_abs = 0.0f;
  for (size_t i = 0; i < dimension; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
  const float scale = max_abs / 127.0f;
  const float inverse = max_abs > 0.0f ? 1.0f / scale : 0.0f;
  for (size_t i = 0; i < dimension; ++i) {
    values[i] = static_cast<int8_t>(std::clamp(std::nearbyint(row[i] * inverse), -127.0f, 127.0f));
  }
  return scale;
}

// The query is rounded to 8 bits as a row is, once, so that each distance is one integer
// product (a quarter of the instructions of widening the codes to floats; the search's
// time is mostly these products). The ranking is a little coarser; the answer cache
// re-ranks the graph's best on the float rows, so the similarity it reports is exact.
// The loop is picked once per computer (one per search or build), not per distance.
class Int8DistanceComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  Int8DistanceComputer(const uint8_t* codes, size_t code_size, size_t dimension)
      : faiss::FlatCodesDistanceComputer(codes, code_size),
        dimension_(dimension),
        query_values_(dimension) {}

  void set_query(const float* x) override {
    query_scale_ = Quantize(x, dimension_, query_values_.data());
  }
  float distance_to_code(const uint8_t* code) override {
    return static_cast<float>(code_dot_(query_values_.data(), Values(code), dimension_)) *
           query_scale_ * ScaleOf(code, dimension_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    const uint8_t* a = codes + i * code_size;
    const uint8_t* b = codes + j * code_size;
    return static_cast<float>(code_dot_(Values(a), Values(b), dimension_)) *
           ScaleOf(a, dimension_) * ScaleOf(b, dimension_);
  }

 private:
  size_t dimension_;
  std::vector<int8_t> query_values_;
  float query_scale_ = 0.0f;
  const Int8CodeDot code_dot_ = PickInt8CodeDot();
};

}  // namespace

Int8VectorStorage::Int8VectorStorage(faiss::Index::idx_t dimension)
    : faiss::IndexFlatCodes(static_cast<size_t>(dimension) + sizeof(float), dimension,
                            faiss::METRIC_INNER_PRODUCT) {}

void Int8VectorStorage::sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
  const auto dimension = static_cast<size_t>(d);
  for (idx_t v = 0; v < n; ++v) {
    uint8_t* code = bytes + v * code_size;
    const float scale = Quantize(x + v * dimension, dimension, reinterpret_cast<int8_t*>(code));
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
