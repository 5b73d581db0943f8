#include "services/cache/lib/int4_vector_storage.h"

#include <faiss/impl/FaissAssert.h>

#include <cstring>
#include <vector>

#include "services/cache/lib/code_dot.h"

namespace cascade::cache {
namespace {

constexpr int kRowMaxLevel = 7;
constexpr int kQueryMaxLevel = 127;
constexpr int kNibbleOffset = 8;  // a stored nibble is the level plus this (code_dot.h)

size_t PackedBytes(size_t dimension) { return Int4PaddedDimension(dimension) / 2; }

float ScaleOf(const uint8_t* code, size_t dimension) {
  float scale;
  std::memcpy(&scale, code + PackedBytes(dimension), sizeof(scale));
  return scale;
}

// The query's 8-bit levels (zero-padded to whole blocks) and their sum are computed once;
// each row then costs one nibble product. Two stored rows (the graph's construction) cost one
// product of their nibbles.
class Int4DistanceComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  Int4DistanceComputer(const uint8_t* codes, size_t code_size, size_t dimension)
      : faiss::FlatCodesDistanceComputer(codes, code_size),
        dimension_(dimension),
        padded_(Int4PaddedDimension(dimension)),
        query_levels_(padded_, 0) {}

  void set_query(const float* x) override {
    query_scale_ = RoundToLevels(x, dimension_, kQueryMaxLevel, query_levels_.data());
    query_sum_ = 0;
    for (size_t i = 0; i < dimension_; ++i) query_sum_ += query_levels_[i];
  }
  float distance_to_code(const uint8_t* code) override {
    const int32_t product =
        nibble_dot_(query_levels_.data(), code, padded_) - kNibbleOffset * query_sum_;
    return static_cast<float>(product) * query_scale_ * ScaleOf(code, dimension_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    const uint8_t* a = codes + i * code_size;
    const uint8_t* b = codes + j * code_size;
    return static_cast<float>(pair_dot_(a, b, padded_)) * ScaleOf(a, dimension_) *
           ScaleOf(b, dimension_);
  }

 private:
  size_t dimension_;
  size_t padded_;
  std::vector<int8_t> query_levels_;
  float query_scale_ = 0.0f;
  int32_t query_sum_ = 0;
  const Int4NibbleDot nibble_dot_ = PickInt4NibbleDot();
  const Int4PairDot pair_dot_ = PickInt4PairDot();
};

}  // namespace

Int4VectorStorage::Int4VectorStorage(faiss::Index::idx_t dimension)
    : faiss::IndexFlatCodes(PackedBytes(static_cast<size_t>(dimension)) + sizeof(float), dimension,
                            faiss::METRIC_INNER_PRODUCT) {}

void Int4VectorStorage::sa_encode(idx_t n, const float* x, uint8_t* bytes) const {
  const auto dimension = static_cast<size_t>(d);
  std::vector<int8_t> levels(dimension);
  for (idx_t v = 0; v < n; ++v) {
    uint8_t* code = bytes + v * code_size;
    const float scale = RoundToLevels(x + v * dimension, dimension, kRowMaxLevel, levels.data());
    PackInt4(levels.data(), dimension, code);
    std::memcpy(code + PackedBytes(dimension), &scale, sizeof(scale));
  }
}

void Int4VectorStorage::sa_decode(idx_t n, const uint8_t* bytes, float* x) const {
  const auto dimension = static_cast<size_t>(d);
  std::vector<int8_t> levels(dimension);
  for (idx_t v = 0; v < n; ++v) {
    const uint8_t* code = bytes + v * code_size;
    UnpackInt4(code, dimension, levels.data());
    const float scale = ScaleOf(code, dimension);
    for (size_t i = 0; i < dimension; ++i) {
      x[v * dimension + i] = static_cast<float>(levels[i]) * scale;
    }
  }
}

void Int4VectorStorage::search(idx_t, const float*, idx_t, float*, idx_t*,
                               const faiss::SearchParameters*) const {
  FAISS_THROW_MSG("Int4VectorStorage is searched through its HNSW graph only");
}

faiss::FlatCodesDistanceComputer* Int4VectorStorage::get_FlatCodesDistanceComputer() const {
  return new Int4DistanceComputer(codes.data(), code_size, static_cast<size_t>(d));
}

}  // namespace cascade::cache
