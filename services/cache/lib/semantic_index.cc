#include "services/cache/lib/semantic_index.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/random.h>

#include <algorithm>
#include <utility>

#include "services/cache/lib/code_dot.h"
#include "services/cache/lib/int4_vector_storage.h"
#include "services/router/lib/faiss_support.h"
#include "services/router/lib/vector_ops.h"

namespace cascade::cache {
namespace {

// The search skips tombstones: rows whose entry was removed since the last rebuild.
class LiveRows final : public faiss::IDSelector {
 public:
  explicit LiveRows(const std::vector<bool>& live) : live_(live) {}
  bool is_member(idx_t row) const override { return live_[static_cast<size_t>(row)]; }

 private:
  const std::vector<bool>& live_;
};

// Below this many rows a flat index compacts only when all its rows are dead: compacting a
// handful of rows buys nothing.
constexpr size_t kMinRowsToCompact = 64;

}  // namespace

SemanticIndex::SemanticIndex(size_t dimension, const SemanticIndexOptions& options)
    : dimension_(dimension), options_(options) {}

SemanticIndex::~SemanticIndex() = default;

size_t SemanticIndex::GraphBytesPerRow(size_t dimension, const SemanticIndexOptions& options) {
  size_t code = 0;
  switch (options.hnsw_storage) {
    case HnswStorage::kInt4:
      code = Int4PaddedDimension(dimension) / 2 + sizeof(float);
      break;
    case HnswStorage::kFloat:
      code = dimension * sizeof(float);
      break;
  }
  return code + 2 * static_cast<size_t>(options.hnsw_m) * sizeof(int);
}

const float* SemanticIndex::Row(size_t row) const { return flat_rows_.data() + row * dimension_; }

void SemanticIndex::AppendRow(uint64_t id, const float* embedding) {
  const size_t row = row_ids_.size();
  if (graph_ != nullptr) {
    router::SingleThreadedOpenMp single_threaded;
    graph_->add(1, embedding);
  }
  flat_rows_.insert(flat_rows_.end(), embedding, embedding + dimension_);
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
    faiss::Index* storage = nullptr;
    switch (options_.hnsw_storage) {
      case HnswStorage::kInt4:
        storage = new Int4VectorStorage(d);
        break;
      case HnswStorage::kFloat:
        storage = new router::FlatInnerProductStorage(d);
        break;
    }
    graph_ = std::make_unique<faiss::IndexHNSW>(storage, options_.hnsw_m);
    graph_->own_fields = true;
    graph_->is_trained = true;
    graph_->hnsw.efConstruction = options_.hnsw_ef_construction;
    graph_->hnsw.efSearch = options_.hnsw_ef_search;
    graph_->hnsw.rng = faiss::RandomGenerator(router::kHnswLevelSeed);
    router::SingleThreadedOpenMp single_threaded;
    graph_->add(static_cast<faiss::Index::idx_t>(ids.size()), rows.data());
  }
  flat_rows_ = std::move(rows);
  flat_rows_.shrink_to_fit();
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
      const float similarity = router::InnerProduct(query, Row(row), dimension_);
      // Strictly greater: of equally similar rows the oldest wins, whatever the timing.
      if (!best.has_value() || similarity > best->similarity) {
        best = SemanticMatch{row_ids_[row], similarity};
      }
    }
    return best;
  }
  const int k = std::max(1, options_.hnsw_rerank);
  // Without tombstones the liveness check would only cost a lookup per visited row.
  const bool has_tombstones = row_of_.size() < row_ids_.size();
  std::vector<faiss::Index::idx_t> found;
  if (options_.hnsw_faiss_search) {
    LiveRows live(row_live_);
    faiss::SearchParametersHNSW params;
    params.efSearch = options_.hnsw_ef_search;
    params.sel = has_tombstones ? &live : nullptr;
    std::vector<float> scores(static_cast<size_t>(k));
    found.assign(static_cast<size_t>(k), -1);
    router::SingleThreadedOpenMp single_threaded;
    graph_->search(1, query, k, scores.data(), found.data(), &params);
  } else {
    for (const ScoredRow& scored :
         SearchHnswGraph(*graph_, query, options_.hnsw_ef_search, k,
                         has_tombstones ? &row_live_ : nullptr, search_scratch_)) {
      found.push_back(scored.row);
    }
  }
  // The exact similarity of the graph's best few; of equal ones the oldest row wins.
  std::optional<SemanticMatch> best;
  size_t best_row = 0;
  for (const faiss::Index::idx_t candidate : found) {
    if (candidate < 0) continue;  // fewer live rows reached than k
    const auto row = static_cast<size_t>(candidate);
    const float similarity = router::InnerProduct(query, Row(row), dimension_);
    if (!best.has_value() || similarity > best->similarity ||
        (similarity == best->similarity && row < best_row)) {
      best = SemanticMatch{row_ids_[row], similarity};
      best_row = row;
    }
  }
  return best;  // nullopt: every row the beam reached was a tombstone
}

}  // namespace cascade::cache
