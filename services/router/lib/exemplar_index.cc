#include "services/router/lib/exemplar_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/utils/random.h>
#include <omp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/router/lib/vector_ops.h"

namespace cascade::router {
namespace {

// Flat storage whose distances are our InnerProduct (AVX2 when available) instead of
// FAISS's baseline build: the HNSW graph (search and construction) calls these for every
// node it visits, so this is where a Route() spends most of its time.
class FlatInnerProductStorage final : public faiss::IndexFlatIP {
 public:
  explicit FlatInnerProductStorage(faiss::Index::idx_t dimension) : faiss::IndexFlatIP(dimension) {}

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
      return InnerProduct(query, reinterpret_cast<const float*>(code), dimension);
    }
    float symmetric_dis(idx_t i, idx_t j) override {
      return InnerProduct(rows + i * dimension, rows + j * dimension, dimension);
    }
    const float* rows;
    size_t dimension;
    const float* query = nullptr;
  };
};

// FAISS opens an OpenMP parallel region in every search, even for one query. From many
// request threads that means a thread team per request thread and cores fighting over
// spin-waits. One query is cheap: run it on the caller's thread. omp_set_num_threads only
// changes the calling thread's setting, and we put it back for callers that use OpenMP.
//
// The HNSW build runs single-threaded too, for repeatability: FAISS inserts the points of
// each level in parallel, and which point links to which then depends on the threads'
// timing, so two builds of the same data gave different graphs (and neighbours).
class SingleThreadedOpenMp {
 public:
  SingleThreadedOpenMp() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleThreadedOpenMp() { omp_set_num_threads(previous_); }
  SingleThreadedOpenMp(const SingleThreadedOpenMp&) = delete;
  SingleThreadedOpenMp& operator=(const SingleThreadedOpenMp&) = delete;

 private:
  int previous_;
};

// HNSW draws each point's level from this generator. FAISS seeds it with a constant
// today; setting it here keeps builds repeatable whatever a FAISS version does.
constexpr int64_t kHnswLevelSeed = 12345;

}  // namespace

absl::StatusOr<std::unique_ptr<ExemplarIndex>> ExemplarIndex::Build(
    const float* vectors, size_t count, size_t dimension, const ExemplarIndexOptions& options) {
  if (dimension == 0) return absl::InvalidArgumentError("exemplar index: dimension is 0");
  if (options.hnsw_m < 2 || options.hnsw_ef_construction < 1 || options.hnsw_ef_search < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "exemplar index: hnsw_m (", options.hnsw_m, ") must be >= 2 and hnsw_ef_construction (",
        options.hnsw_ef_construction, "), hnsw_ef_search (", options.hnsw_ef_search, ") positive"));
  }
  const auto d = static_cast<faiss::Index::idx_t>(dimension);
  const auto n = static_cast<faiss::Index::idx_t>(count);
  const bool hnsw = count >= options.hnsw_min_exemplars;
  std::unique_ptr<faiss::Index> index;
  const float* rows = nullptr;
  try {
    if (hnsw) {
      // As IndexHNSWFlat, over our storage; the graph owns and deletes it.
      auto graph =
          std::make_unique<faiss::IndexHNSW>(new FlatInnerProductStorage(d), options.hnsw_m);
      graph->own_fields = true;
      graph->is_trained = true;
      graph->hnsw.efConstruction = options.hnsw_ef_construction;
      graph->hnsw.efSearch = options.hnsw_ef_search;
      graph->hnsw.rng = faiss::RandomGenerator(kHnswLevelSeed);
      {
        SingleThreadedOpenMp single_threaded;
        graph->add(n, vectors);
      }
      rows = static_cast<const faiss::IndexFlat*>(graph->storage)->get_xb();
      index = std::move(graph);
    } else {
      auto flat = std::make_unique<faiss::IndexFlatIP>(d);
      flat->add(n, vectors);
      rows = flat->get_xb();
      index = std::move(flat);
    }
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building the FAISS index failed: ", e.what()));
  }
  return std::unique_ptr<ExemplarIndex>(
      new ExemplarIndex(std::move(index), rows, count, dimension, hnsw));
}

ExemplarIndex::ExemplarIndex(std::unique_ptr<faiss::Index> index, const float* rows, size_t count,
                             size_t dimension, bool hnsw)
    : index_(std::move(index)), rows_(rows), count_(count), dimension_(dimension), hnsw_(hnsw) {}

ExemplarIndex::~ExemplarIndex() = default;

std::vector<Neighbor> ExemplarIndex::Search(const float* query, int k) const {
  k = std::min<int>(k, static_cast<int>(count_));
  if (k <= 0) return {};
  std::vector<float> similarities(k);
  std::vector<faiss::Index::idx_t> ids(k);
  {
    SingleThreadedOpenMp single_threaded;
    index_->search(1, query, k, similarities.data(), ids.data());
  }
  std::vector<Neighbor> neighbors;
  neighbors.reserve(k);
  for (int i = 0; i < k; ++i) {
    if (ids[i] < 0) break;  // HNSW may find fewer than k.
    neighbors.push_back({ids[i], similarities[i]});
  }
  return neighbors;
}

void ExemplarIndex::set_hnsw_ef_search(int ef_search) {
  if (hnsw_) static_cast<faiss::IndexHNSW*>(index_.get())->hnsw.efSearch = ef_search;
}

float ExemplarIndex::Similarity(const float* query, int64_t exemplar) const {
  return InnerProduct(query, rows_ + exemplar * dimension_, dimension_);
}

}  // namespace cascade::router
