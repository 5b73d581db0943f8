#include "services/router/lib/linear_scorer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "services/router/lib/vector_ops.h"

namespace cascade::router {
namespace {

// One training row in sparse form, whatever the embedder gave.
struct Row {
  std::vector<uint32_t> indices;
  std::vector<float> values;
};

std::vector<Row> TrainingRows(const Embeddings& exemplars, bool sparse_input) {
  std::vector<Row> rows(exemplars.rows());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (sparse_input) {
      rows[i].indices = exemplars.sparse[i].indices;
      rows[i].values = exemplars.sparse[i].values;
      continue;
    }
    const float* dense = exemplars.row(i);
    for (size_t d = 0; d < exemplars.dimension; ++d) {
      if (dense[d] == 0.0f) continue;  // Hashed embeddings are mostly zeros.
      rows[i].indices.push_back(static_cast<uint32_t>(d));
      rows[i].values.push_back(dense[d]);
    }
  }
  return rows;
}

void SoftmaxInPlace(absl::Span<float> scores) {
  const float top = *std::max_element(scores.begin(), scores.end());
  float total = 0.0f;
  for (float& score : scores) {
    score = std::exp(score - top);
    total += score;
  }
  for (float& score : scores) score /= total;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LinearScorer>> LinearScorer::Train(
    const LinearScorerOptions& options, const Embeddings& exemplars,
    absl::Span<const int> exemplar_routes, int num_routes) {
  if (exemplar_routes.size() != exemplars.rows()) {
    return absl::InternalError(absl::StrCat("linear scorer: ", exemplars.rows(), " rows but ",
                                            exemplar_routes.size(), " labels"));
  }
  if (options.epochs < 0 || !(options.learning_rate > 0.0)) {
    return absl::InvalidArgumentError("linear scorer: epochs must be >= 0, learning_rate > 0");
  }
  if (!(options.l2 >= 0.0 && options.learning_rate * options.l2 < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("linear scorer: l2 ", options.l2,
                                                   " must be >= 0 and below 1 / learning_rate"));
  }
  const bool sparse_input = exemplars.sparse_dimension > 0 && !exemplars.sparse.empty();
  const size_t input_dimension = sparse_input ? exemplars.sparse_dimension : exemplars.dimension;
  std::unique_ptr<LinearScorer> scorer(new LinearScorer(sparse_input, input_dimension, num_routes));
  if (num_routes < 2) return scorer;  // Nothing to tell apart: every score is 1.

  const std::vector<Row> rows = TrainingRows(exemplars, sparse_input);
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 random(options.seed);
  std::vector<float> gradient(num_routes);
  float* weights = scorer->weights_.data();
  const size_t width = static_cast<size_t>(num_routes);
  // With L2, every step shrinks all the weights; instead of touching all of them, the true
  // weights are `scale` times the stored ones, and only the rows of the example's features
  // are updated (divided by scale). Folded back in when scale gets small, and at the end.
  // Without L2, scale stays exactly 1 and the arithmetic is the same as without it.
  double scale = 1.0;
  const auto fold_scale = [&] {
    if (scale == 1.0) return;
    const auto factor = static_cast<float>(scale);
    for (float& weight : scorer->weights_) weight *= factor;
    scale = 1.0;
  };
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), random);
    const float rate =
        static_cast<float>(options.learning_rate / (1.0 + options.learning_rate_decay * epoch));
    const double shrink = 1.0 - static_cast<double>(rate) * options.l2;
    for (size_t i : order) {
      const Row& row = rows[i];
      scorer->Predict(row.indices, row.values, absl::MakeSpan(gradient), static_cast<float>(scale));
      // d(cross-entropy)/d(logits) = probabilities - one_hot(label).
      gradient[exemplar_routes[i]] -= 1.0f;
      if (options.l2 > 0.0) {
        scale *= shrink;
        if (scale < 1e-20) fold_scale();
      }
      const auto inverse_scale = static_cast<float>(1.0 / scale);
      // The row updates run in AddScaled (AVX2), fast even in unoptimised builds.
      for (size_t j = 0; j < row.indices.size(); ++j) {
        AddScaled(weights + size_t{row.indices[j]} * width, -rate * row.values[j] * inverse_scale,
                  gradient.data(), width);
      }
      AddScaled(scorer->bias_.data(), -rate, gradient.data(), width);
    }
  }
  fold_scale();
  return scorer;
}

void LinearScorer::Predict(absl::Span<const uint32_t> indices, absl::Span<const float> values,
                           absl::Span<float> scores, float weight_scale) const {
  const size_t width = static_cast<size_t>(num_routes_);
  std::copy(bias_.begin(), bias_.end(), scores.begin());
  for (size_t j = 0; j < indices.size(); ++j) {
    AddScaled(scores.data(), values[j] * weight_scale, weights_.data() + size_t{indices[j]} * width,
              width);
  }
  SoftmaxInPlace(scores);
}

void LinearScorer::Score(const ScoringQuery& query, absl::Span<float> scores) const {
  if (num_routes_ < 2) {
    std::fill(scores.begin(), scores.end(), 1.0f);
    return;
  }
  if (sparse_input_ && query.sparse != nullptr) {
    Predict(query.sparse->indices, query.sparse->values, scores);
    return;
  }
  std::vector<uint32_t> indices;
  std::vector<float> values;
  for (size_t d = 0; d < query.dense.size(); ++d) {
    if (query.dense[d] == 0.0f) continue;
    indices.push_back(static_cast<uint32_t>(d));
    values.push_back(query.dense[d]);
  }
  Predict(indices, values, scores);
}

}  // namespace cascade::router
