#include "services/cache/lib/hnsw_graph_search.h"

#include <faiss/IndexFlatCodes.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissAssert.h>

#include <algorithm>
#include <memory>

namespace cascade::cache {
namespace {

constexpr size_t kCacheLine = 64;

// More similar first; of equal similarity the lower row (the older entry).
bool Better(const ScoredRow& a, const ScoredRow& b) {
  return a.similarity > b.similarity || (a.similarity == b.similarity && a.row < b.row);
}
bool Worse(const ScoredRow& a, const ScoredRow& b) { return Better(b, a); }

// A heap whose top is its worst element (std heaps keep the "largest" on top).
void PushKeepingBest(std::vector<ScoredRow>& heap, ScoredRow item, size_t limit) {
  heap.push_back(item);
  std::push_heap(heap.begin(), heap.end(), Better);
  if (heap.size() > limit) {
    std::pop_heap(heap.begin(), heap.end(), Better);
    heap.pop_back();
  }
}

// Whether `item` would enter a heap of the best `limit` (top: the worst kept).
bool WouldKeep(const std::vector<ScoredRow>& heap, const ScoredRow& item, size_t limit) {
  return heap.size() < limit || Better(item, heap.front());
}

class GraphWalk {
 public:
  GraphWalk(const faiss::IndexHNSW& graph, const float* query, HnswSearchScratch& scratch)
      : hnsw_(graph.hnsw), scratch_(scratch) {
    const auto* storage = dynamic_cast<const faiss::IndexFlatCodes*>(graph.storage);
    FAISS_THROW_IF_NOT_MSG(storage != nullptr, "the HNSW graph's storage must be flat codes");
    codes_ = storage->codes.data();
    code_size_ = storage->code_size;
    scorer_.reset(storage->get_FlatCodesDistanceComputer());
    scorer_->set_query(query);
    scratch_.visited_stamp.resize(static_cast<size_t>(graph.ntotal), 0);
  }

  float Score(int64_t row) {
    return scorer_->distance_to_code(codes_ + static_cast<size_t>(row) * code_size_);
  }

  // Starts a new visited set (two per search: the descent, then level 0).
  void ForgetVisits() {
    if (++scratch_.stamp == 0) {  // wrapped: old stamps could collide
      std::fill(scratch_.visited_stamp.begin(), scratch_.visited_stamp.end(), 0);
      scratch_.stamp = 1;
    }
  }
  void MarkVisited(int64_t row) {
    scratch_.visited_stamp[static_cast<size_t>(row)] = scratch_.stamp;
  }

  // Scores the neighbours of `node` on `level` that this visit set has not seen, into
  // scratch.fresh / fresh_similarity. Every row is requested before the first is scored.
  void ScoreNewNeighbours(int64_t node, int level) {
    size_t begin = 0, end = 0;
    hnsw_.neighbor_range(node, level, &begin, &end);
    auto& fresh = scratch_.fresh;
    fresh.clear();
    for (size_t j = begin; j < end; ++j) {
      const int64_t neighbour = hnsw_.neighbors[j];
      if (neighbour < 0) break;  // the list is padded with -1
      auto& seen = scratch_.visited_stamp[static_cast<size_t>(neighbour)];
      if (seen == scratch_.stamp) continue;
      seen = scratch_.stamp;
      Prefetch(neighbour);
      fresh.push_back(neighbour);
    }
    scratch_.fresh_similarity.resize(fresh.size());
    for (size_t i = 0; i < fresh.size(); ++i) scratch_.fresh_similarity[i] = Score(fresh[i]);
  }

 private:
  void Prefetch(int64_t row) const {
    const uint8_t* code = codes_ + static_cast<size_t>(row) * code_size_;
    for (size_t offset = 0; offset < code_size_; offset += kCacheLine) {
      __builtin_prefetch(code + offset);
    }
  }

  const faiss::HNSW& hnsw_;
  HnswSearchScratch& scratch_;
  const uint8_t* codes_ = nullptr;
  size_t code_size_ = 0;
  std::unique_ptr<faiss::FlatCodesDistanceComputer> scorer_;
};

}  // namespace

std::vector<ScoredRow> SearchHnswGraph(const faiss::IndexHNSW& graph, const float* query, int ef,
                                       int k, const std::vector<bool>* live,
                                       HnswSearchScratch& scratch) {
  const faiss::HNSW& hnsw = graph.hnsw;
  if (hnsw.entry_point < 0 || k < 1) return {};
  const auto beam_width = static_cast<size_t>(std::max(ef, k));
  const auto wanted = static_cast<size_t>(k);
  GraphWalk walk(graph, query, scratch);
  const auto is_live = [live](int64_t row) {
    return live == nullptr || (*live)[static_cast<size_t>(row)];
  };

  // Upper levels: move to the most similar neighbour until none is more similar.
  ScoredRow entry{walk.Score(hnsw.entry_point), hnsw.entry_point};
  for (int level = hnsw.max_level; level > 0; --level) {
    walk.ForgetVisits();
    walk.MarkVisited(entry.row);
    for (bool moved = true; moved;) {
      moved = false;
      walk.ScoreNewNeighbours(entry.row, level);
      for (size_t i = 0; i < scratch.fresh.size(); ++i) {
        const ScoredRow neighbour{scratch.fresh_similarity[i], scratch.fresh[i]};
        if (Better(neighbour, entry)) {
          entry = neighbour;
          moved = true;
        }
      }
    }
  }

  // Level 0: a beam of the best `beam_width` rows seen, expanded best first.
  walk.ForgetVisits();
  walk.MarkVisited(entry.row);
  auto& candidates = scratch.candidates;
  auto& beam = scratch.beam;
  auto& results = scratch.results;
  candidates.assign(1, entry);
  beam.assign(1, entry);
  results.clear();
  if (is_live(entry.row)) results.push_back(entry);
  while (!candidates.empty()) {
    std::pop_heap(candidates.begin(), candidates.end(), Worse);
    const ScoredRow node = candidates.back();
    candidates.pop_back();
    if (beam.size() >= beam_width && Better(beam.front(), node)) break;
    walk.ScoreNewNeighbours(node.row, 0);
    for (size_t i = 0; i < scratch.fresh.size(); ++i) {
      const ScoredRow neighbour{scratch.fresh_similarity[i], scratch.fresh[i]};
      if (WouldKeep(beam, neighbour, beam_width)) {
        PushKeepingBest(beam, neighbour, beam_width);
        candidates.push_back(neighbour);
        std::push_heap(candidates.begin(), candidates.end(), Worse);
      }
      // Every live row scored may be among the best k, even one the beam does not keep
      // (the beam's better rows may all be tombstones).
      if (is_live(neighbour.row) && WouldKeep(results, neighbour, wanted)) {
        PushKeepingBest(results, neighbour, wanted);
      }
    }
  }
  std::vector<ScoredRow> best(results.begin(), results.end());
  std::sort(best.begin(), best.end(), Better);
  return best;
}

}  // namespace cascade::cache
