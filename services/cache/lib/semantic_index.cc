#include "services/cache/lib/semantic_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/random.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <utility>

namespace cascade::cache {
namespace {

float InnerProductScalar(const float* a, const float* b, size_t dimension) {
  float sum = 0.0f;
  for (size_t i = 0; i < dimension; ++i) sum += a[i] * b[i];
  return sum;
}

// Debian's FAISS is built for baseline x86-64 (SSE2 at best); every scanned row and every
// HNSW node visited costs one of these, so use AVX2+FMA when the CPU has it. Four
// accumulators hide the FMA latency.
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

bool HasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

const auto kInnerProduct = HasAvx2() ? InnerProductAvx2 : InnerProductScalar;

// IndexFlatIP whose distance computer is kInnerProduct: the HNSW graph (build and search)
// calls it for every node it visits.
class InnerProductStorage final : public faiss::IndexFlatIP {
 public:
  explicit InnerProductStorage(faiss::Index::idx_t dimension) : faiss::IndexFlatIP(dimension) {}

  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return new Computer(get_xb(), static_cast<size_t>(d));
  }

 private:
  struct Computer final : faiss::FlatCodesDistanceComputer {
    Computer(const float* rows, size_t dimension)
        : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(rows),
                                           dimension * sizeof(float)),
          rows(rows),
          dimension(dimension) {}
    void set_query(const float* x) override { query = x; }
    float distance_to_code(const uint8_t* code) override {
      return kInnerProduct(query, reinterpret_cast<const float*>(code), dimension);
    }
    float symmetric_dis(idx_t i, idx_t j) override {
      return kInnerProduct(rows + i * dimension, rows + j * dimension, dimension);
    }
    const float* rows;
    size_t dimension;
    const float* query = nullptr;
  };
};

// The search skips tombstones: rows whose entry was removed since the last rebuild.
class LiveRows final : public faiss::IDSelector {
 public:
  explicit LiveRows(const std::vector<bool>& live) : live_(live) {}
  bool is_member(idx_t row) const override { return live_[static_cast<size_t>(row)]; }

 private:
  const std::vector<bool>& live_;
};

// FAISS opens an OpenMP parallel region in every add and search. From many request threads
// that is a thread team per caller; and a parallel build links points in an order that
// depends on thread timing, so two builds of the same data would differ. Run on the
// caller's thread (omp_set_num_threads changes only the calling thread's setting).
class SingleThreadedOpenMp {
 public:
  SingleThreadedOpenMp() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedOpenMp() { omp_set_num_threads(previous_); }
  SingleThreadedOpenMp(const SingleThreadedOpenMp&) = delete;
  SingleThreadedOpenMp& operator=(const SingleThreadedOpenMp&) = delete;

 private:
  int previous_;
};

// HNSW draws each point's level from this generator; a fixed seed keeps builds repeatable.
constexpr int64_t kHnswLevelSeed = 12345;

// Below this many rows a flat index compacts only when all its rows are dead: compacting a
// handful of rows buys nothing.
constexpr size_t kMinRowsToCompact = 64;

}  // namespace

SemanticIndex::SemanticIndex(size_t dimension, const SemanticIndexOptions& options)
    : dimension_(dimension), options_(options) {}

SemanticIndex::~SemanticIndex() = default;

const float* SemanticIndex::Row(size_t row) const {
  if (graph_ != nullptr) {
    return static_cast<const faiss::IndexFlat*>(graph_->storage)->get_xb() + row * dimension_;
  }
  return flat_rows_.data() + row * dimension_;
}

void SemanticIndex::AppendRow(uint64_t id, const float* embedding) {
  const size_t row = row_ids_.size();
  if (graph_ != nullptr) {
    SingleThreadedOpenMp single_threaded;
    graph_->add(1, embedding);
  } else {
    flat_rows_.insert(flat_rows_.end(), embedding, embedding + dimension_);
  }
  row_ids_.push_back(id);
  row_live_.push_back(true);
  row_of_[id] = row;
}

void SemanticIndex::Add(uint64_t id, const float* embedding) {
  AppendRow(id, embedding);
  if (graph_ == nullptr && size() >= options_.hnsw_min_entries) Rebuild();
}

bool SemanticIndex::Remove(uint64_t id) {
  const auto it = row_of_.find(id);
  if (it == row_of_.end()) return false;
  row_live_[it->second] = false;
  row_of_.erase(it);
  const size_t dead = row_ids_.size() - row_of_.size();
  if (row_of_.empty() ||
      (row_ids_.size() >= kMinRowsToCompact &&
       static_cast<double>(dead) > options_.max_tombstone_share * row_ids_.size())) {
    Rebuild();
  }
  return true;
}

void SemanticIndex::Rebuild() {
  std::vector<uint64_t> ids;
  std::vector<float> rows;
  ids.reserve(row_of_.size());
  rows.reserve(row_of_.size() * dimension_);
  for (size_t row = 0; row < row_ids_.size(); ++row) {
    if (!row_live_[row]) continue;
    ids.push_back(row_ids_[row]);
    const float* values = Row(row);
    rows.insert(rows.end(), values, values + dimension_);
  }
  row_ids_.clear();
  row_live_.clear();
  row_of_.clear();
  graph_.reset();
  flat_rows_.clear();
  if (ids.size() >= options_.hnsw_min_entries) {
    // As IndexHNSWFlat, over our storage; the graph owns and deletes it.
    const auto d = static_cast<faiss::Index::idx_t>(dimension_);
    graph_ = std::make_unique<faiss::IndexHNSW>(new InnerProductStorage(d), options_.hnsw_m);
    graph_->own_fields = true;
    graph_->is_trained = true;
    graph_->hnsw.efConstruction = options_.hnsw_ef_construction;
    graph_->hnsw.efSearch = options_.hnsw_ef_search;
    graph_->hnsw.rng = faiss::RandomGenerator(kHnswLevelSeed);
    SingleThreadedOpenMp single_threaded;
    graph_->add(static_cast<faiss::Index::idx_t>(ids.size()), rows.data());
  } else {
    flat_rows_ = std::move(rows);
    flat_rows_.shrink_to_fit();
  }
  row_ids_ = std::move(ids);
  row_live_.assign(row_ids_.size(), true);
  for (size_t row = 0; row < row_ids_.size(); ++row) row_of_[row_ids_[row]] = row;
}

std::optional<SemanticMatch> SemanticIndex::Nearest(const float* query) const {
  if (row_of_.empty()) return std::nullopt;
  if (graph_ == nullptr) {
    std::optional<SemanticMatch> best;
    for (size_t row = 0; row < row_ids_.size(); ++row) {
      if (!row_live_[row]) continue;
      const float similarity = kInnerProduct(query, Row(row), dimension_);
      // Strictly greater: of equally similar rows the oldest wins, whatever the timing.
      if (!best.has_value() || similarity > best->similarity) {
        best = SemanticMatch{row_ids_[row], similarity};
      }
    }
    return best;
  }
  LiveRows live(row_live_);
  faiss::SearchParametersHNSW params;
  params.efSearch = options_.hnsw_ef_search;
  // Without tombstones the filter would only cost a call per visited node.
  params.sel = row_of_.size() < row_ids_.size() ? &live : nullptr;
  float similarity = 0.0f;
  faiss::Index::idx_t row = -1;
  {
    SingleThreadedOpenMp single_threaded;
    graph_->search(1, query, 1, &similarity, &row, &params);
  }
  if (row < 0) return std::nullopt;  // every row the beam reached was a tombstone
  return SemanticMatch{row_ids_[static_cast<size_t>(row)], similarity};
}

}  // namespace cascade::cache
