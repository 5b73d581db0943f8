#include "services/router/lib/faiss_support.h"

#include <omp.h>

#include "services/router/lib/vector_ops.h"

namespace cascade::router {
namespace {

struct InnerProductComputer final : faiss::FlatCodesDistanceComputer {
  InnerProductComputer(const float* rows, size_t dimension)
      : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(rows),
                                         dimension * sizeof(float)),
        rows(rows),
        dimension(dimension) {}
  void set_query(const float* x) override { query = x; }
  float distance_to_code(const uint8_t* code) override {
    return InnerProduct(query, reinterpret_cast<const float*>(code), dimension);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return InnerProduct(rows + i * dimension, rows + j * dimension, dimension);
  }
  const float* rows;
  size_t dimension;
  const float* query = nullptr;
};

}  // namespace

faiss::FlatCodesDistanceComputer* FlatInnerProductStorage::get_FlatCodesDistanceComputer() const {
  return new InnerProductComputer(get_xb(), static_cast<size_t>(d));
}

SingleThreadedOpenMp::SingleThreadedOpenMp() : previous_(omp_get_max_threads()) {
  omp_set_num_threads(1);
}

SingleThreadedOpenMp::~SingleThreadedOpenMp() { omp_set_num_threads(previous_); }

}  // namespace cascade::router
