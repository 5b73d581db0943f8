#include "services/router/lib/exemplar_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/utils/random.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/router/lib/faiss_support.h"
#include "services/router/lib/vector_ops.h"

namespace cascade::router {

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
