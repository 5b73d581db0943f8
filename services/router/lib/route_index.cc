#include "services/router/lib/route_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "services/router/lib/embedding_rows.h"
#include "services/router/lib/hashed_embedder.h"

namespace cascade::router {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RouteIndex>> RouteIndex::Build(
    RouteSet routes, const RouteIndexOptions& options) {
  if (absl::Status status = ValidateRouteSet(routes); !status.ok()) return status;
  if (options.top_k < 1) {
    return absl::InvalidArgumentError(absl::StrCat("top_k must be >= 1, not ", options.top_k));
  }
  std::shared_ptr<RouteIndex> index(new RouteIndex());
  index->options_ = options;
  index->routes_ = std::move(routes);
  const RouteSet& set = index->routes_;

  std::vector<std::string> texts;
  texts.reserve(set.exemplar_count());
  index->first_exemplar_.push_back(0);
  for (size_t r = 0; r < set.routes.size(); ++r) {
    for (const std::string& utterance : set.routes[r].utterances) {
      texts.push_back(utterance);
      index->exemplar_route_.push_back(static_cast<int>(r));
    }
    index->first_exemplar_.push_back(static_cast<int64_t>(texts.size()));
  }

  auto start = Clock::now();
  EmbedderFactory factory =
      options.embedder ? options.embedder : HashedEmbedder::Factory(HashedEmbedderOptions{});
  absl::StatusOr<std::shared_ptr<const Embedder>> embedder = factory(texts);
  if (!embedder.ok()) return embedder.status();
  index->embedder_ = std::move(*embedder);
  index->embedder_name_ = index->embedder_->name();
  if (texts.empty()) return index;  // Every query takes the default route.

  absl::StatusOr<Embeddings> embeddings = EmbedNormalized(*index->embedder_, texts);
  if (!embeddings.ok()) return embeddings.status();
  const size_t dimension = index->embedder_->dimension();
  index->build_stats_.embed_seconds = SecondsSince(start);

  start = Clock::now();
  absl::StatusOr<std::unique_ptr<ExemplarIndex>> exemplar_index =
      ExemplarIndex::Build(embeddings->dense.data(), texts.size(), dimension, options.index);
  if (!exemplar_index.ok()) return exemplar_index.status();
  index->index_ = std::move(*exemplar_index);
  index->build_stats_.index_seconds = SecondsSince(start);

  start = Clock::now();
  absl::StatusOr<std::unique_ptr<RouteScorer>> scorer = BuildRouteScorer(
      options.scorer, *embeddings, index->exemplar_route_, static_cast<int>(set.routes.size()));
  if (!scorer.ok()) return scorer.status();
  index->scorer_ = std::move(*scorer);
  index->scorer_name_ = index->scorer_->name();
  index->build_stats_.scorer_seconds = SecondsSince(start);
  return index;
}

double RouteIndex::ThresholdOf(const RouteSpec& route) const {
  return route.threshold != 0.0 ? route.threshold : options_.default_threshold;
}

const std::string& RouteIndex::ExemplarText(int64_t exemplar) const {
  const int route = exemplar_route_[exemplar];
  return routes_.routes[route].utterances[exemplar - first_exemplar_[route]];
}

const std::string& RouteIndex::MatchedExample(int route, const float* query,
                                              const std::vector<Neighbor>& neighbors) const {
  for (const Neighbor& neighbor : neighbors) {  // Most similar first.
    if (exemplar_route_[neighbor.exemplar] == route) return ExemplarText(neighbor.exemplar);
  }
  int64_t best = first_exemplar_[route];
  float best_similarity = -2.0f;
  for (int64_t e = first_exemplar_[route]; e < first_exemplar_[route + 1]; ++e) {
    const float similarity = index_->Similarity(query, e);
    if (similarity > best_similarity) {
      best_similarity = similarity;
      best = e;
    }
  }
  return ExemplarText(best);
}

absl::StatusOr<Decision> RouteIndex::Route(absl::string_view query) const {
  Decision decision;
  if (routes_.routes.empty()) {
    decision.route = routes_.default_route.name;
    decision.target = routes_.default_route.target;
    decision.below_threshold = true;
    return decision;
  }
  auto start = Clock::now();
  const std::string text(query);
  absl::StatusOr<Embeddings> embedded = EmbedNormalized(*embedder_, absl::MakeConstSpan(&text, 1));
  if (!embedded.ok()) return embedded.status();
  decision.embed_seconds = SecondsSince(start);

  start = Clock::now();
  const float* vector = embedded->row(0);
  if (std::all_of(vector, vector + index_->dimension(), [](float x) { return x == 0.0f; })) {
    // No features (e.g. only punctuation): no evidence for any route.
    decision.route = routes_.default_route.name;
    decision.target = routes_.default_route.target;
    decision.below_threshold = true;
    decision.search_seconds = SecondsSince(start);
    return decision;
  }
  const std::vector<Neighbor> neighbors = index_->Search(vector, options_.top_k);
  std::vector<float> scores(routes_.routes.size());
  ScoringQuery scoring{absl::MakeConstSpan(vector, index_->dimension()),
                       embedded->sparse.empty() ? nullptr : &embedded->sparse[0], neighbors};
  scorer_->Score(scoring, absl::MakeSpan(scores));

  // The best routes, best first; ties go to the route listed first.
  const size_t ranked_count = std::min(scores.size(), options_.max_alternatives + 1);
  std::vector<int> ranked(scores.size());
  std::iota(ranked.begin(), ranked.end(), 0);
  std::partial_sort(ranked.begin(), ranked.begin() + ranked_count, ranked.end(), [&](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  ranked.resize(ranked_count);

  const int best = ranked[0];
  const RouteSpec& best_route = routes_.routes[best];
  decision.best_route = best_route.name;
  decision.score = scores[best];
  decision.matched_example = MatchedExample(best, vector, neighbors);
  decision.below_threshold = decision.score < ThresholdOf(best_route);
  if (decision.below_threshold) {
    decision.route = routes_.default_route.name;
    decision.target = routes_.default_route.target;
  } else {
    decision.route = best_route.name;
    decision.target = best_route.target;
  }
  for (size_t i = decision.below_threshold ? 0 : 1; i < ranked.size(); ++i) {
    if (decision.alternatives.size() == options_.max_alternatives) break;
    decision.alternatives.push_back({routes_.routes[ranked[i]].name, scores[ranked[i]]});
  }
  decision.search_seconds = SecondsSince(start);
  return decision;
}

}  // namespace cascade::router
