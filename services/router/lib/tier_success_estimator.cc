#include "services/router/lib/tier_success_estimator.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "services/router/lib/embedding_rows.h"
#include "services/router/lib/hashed_embedder.h"

namespace cascade::router {
namespace {

// The grid the leave-one-out fit searches: prior strength in neighbours' worth, and the
// similarity's exponent (higher: the nearest neighbours count more than the rest).
constexpr double kPriorStrengths[] = {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64};
constexpr double kKernelPowers[] = {1, 2, 4, 8};
// Below this many scored exemplars for a tier, the fit is noise: defaults are kept.
constexpr size_t kMinScoredToFit = 20;
constexpr double kDefaultPriorStrength = 4.0;
constexpr double kDefaultKernelPower = 1.0;
// Estimates stay inside (0, 1): a probability of exactly 0 or 1 would claim a certainty
// no finite sample gives, and make log losses infinite.
constexpr double kProbabilityFloor = 1e-3;

double Clamp(double p) { return std::clamp(p, kProbabilityFloor, 1.0 - kProbabilityFloor); }

double LogLoss(double quality, double p) {
  p = Clamp(p);
  return -(quality * std::log(p) + (1.0 - quality) * std::log(1.0 - p));
}

struct Evidence {
  double weighted_sum = 0.0;  // sum w q
  double weight = 0.0;        // sum w
  int count = 0;
  double similarity_sum = 0.0;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> TierSuccessEstimator::Build(
    std::vector<OutcomeExemplar> exemplars, const TierEstimatorOptions& options) {
  if (exemplars.empty()) return absl::InvalidArgumentError("no outcome exemplars");
  if (options.neighbours < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("neighbours must be >= 1, not ", options.neighbours));
  }
  if (!(options.min_similarity >= -1.0 && options.min_similarity < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_similarity must be in [-1, 1), not ", options.min_similarity));
  }
  for (size_t i = 0; i < exemplars.size(); ++i) {
    if (absl::Status status = ValidateOutcomeExemplar(exemplars[i]); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("exemplar ", i, ": ", status.message()));
    }
  }
  std::shared_ptr<TierSuccessEstimator> estimator(new TierSuccessEstimator());
  estimator->options_ = options;
  estimator->exemplars_ = std::move(exemplars);
  const std::vector<OutcomeExemplar>& rows = estimator->exemplars_;

  // Tiers by name; labels as a dense table (-1: not labelled).
  std::map<std::string, size_t> tier_index;
  for (const OutcomeExemplar& exemplar : rows) {
    for (const auto& [tier, quality] : exemplar.tier_quality) tier_index.emplace(tier, 0);
  }
  for (auto& [name, index] : tier_index) {
    index = estimator->tiers_.size();
    estimator->tiers_.push_back({name});
  }
  estimator->labels_.assign(tier_index.size(), std::vector<float>(rows.size(), -1.0f));
  for (size_t e = 0; e < rows.size(); ++e) {
    for (const auto& [tier, quality] : rows[e].tier_quality) {
      estimator->labels_[tier_index[tier]][e] = static_cast<float>(quality);
    }
  }
  for (size_t t = 0; t < estimator->tiers_.size(); ++t) {
    double sum = 0.0;
    size_t count = 0;
    for (float q : estimator->labels_[t]) {
      if (q >= 0.0f) sum += q, ++count;
    }
    estimator->tiers_[t].base_rate = Clamp(sum / static_cast<double>(count));
  }

  std::vector<std::string> texts;
  texts.reserve(rows.size());
  for (const OutcomeExemplar& exemplar : rows) texts.push_back(exemplar.query);
  EmbedderFactory factory =
      options.embedder ? options.embedder : HashedEmbedder::Factory(HashedEmbedderOptions{});
  absl::StatusOr<std::shared_ptr<const Embedder>> embedder = factory(texts);
  if (!embedder.ok()) return embedder.status();
  estimator->embedder_ = std::move(*embedder);
  absl::StatusOr<Embeddings> embeddings = EmbedNormalized(*estimator->embedder_, texts);
  if (!embeddings.ok()) return embeddings.status();
  absl::StatusOr<std::unique_ptr<ExemplarIndex>> index = ExemplarIndex::Build(
      embeddings->dense.data(), rows.size(), embeddings->dimension, options.index);
  if (!index.ok()) return index.status();
  estimator->index_ = std::move(*index);
  estimator->Calibrate(embeddings->dense);
  return estimator;
}

void TierSuccessEstimator::Calibrate(const std::vector<float>& vectors) {
  const size_t count = exemplars_.size();
  const size_t scored = std::min(count, options_.max_calibration_exemplars);
  // Every exemplar's neighbours but itself, once; the grid then only re-weights them.
  std::vector<int64_t> scored_rows;
  std::vector<std::vector<Neighbor>> scored_neighbors;
  for (size_t s = 0; s < scored; ++s) {
    const auto e = static_cast<int64_t>(s * count / scored);  // An even spread.
    const float* vector = vectors.data() + e * index_->dimension();
    std::vector<Neighbor> neighbors = index_->Search(vector, options_.neighbours + 1);
    std::erase_if(neighbors, [e](const Neighbor& n) { return n.exemplar == e; });
    if (neighbors.size() > static_cast<size_t>(options_.neighbours)) neighbors.pop_back();
    scored_rows.push_back(e);
    scored_neighbors.push_back(std::move(neighbors));
  }

  for (size_t t = 0; t < tiers_.size(); ++t) {
    TierModel& tier = tiers_[t];
    const std::vector<float>& labels = labels_[t];
    double label_sum = 0.0;
    size_t labelled = 0;
    for (float q : labels) {
      if (q >= 0.0f) label_sum += q, ++labelled;
    }
    TierCalibration fit{tier.name, labelled, tier.base_rate};
    tier.prior_strength = kDefaultPriorStrength;
    tier.kernel_power = kDefaultKernelPower;

    // The left-out exemplar's base rate excludes its own label.
    auto loss_of = [&](double m, double power, size_t* scored_count) {
      double loss = 0.0;
      size_t n = 0;
      for (size_t s = 0; s < scored_rows.size(); ++s) {
        const float q = labels[scored_rows[s]];
        if (q < 0.0f || labelled < 2) continue;
        const double base = Clamp((label_sum - q) / static_cast<double>(labelled - 1));
        double weighted = 0.0, weight = 0.0;
        for (const Neighbor& neighbor : scored_neighbors[s]) {
          const float label = labels[neighbor.exemplar];
          if (label < 0.0f || neighbor.similarity <= options_.min_similarity) continue;
          const double w = std::pow(std::max(0.0f, neighbor.similarity), power);
          weighted += w * label;
          weight += w;
        }
        const double p = m < 0 ? base : (weighted + m * base) / (weight + m);
        loss += LogLoss(q, p);
        ++n;
      }
      *scored_count = n;
      return n == 0 ? 0.0 : loss / static_cast<double>(n);
    };

    fit.base_log_loss = loss_of(-1.0, 1.0, &fit.scored);
    fit.prior_strength = tier.prior_strength;
    fit.kernel_power = tier.kernel_power;
    fit.log_loss = loss_of(tier.prior_strength, tier.kernel_power, &fit.scored);
    if (fit.scored >= kMinScoredToFit) {
      for (double power : kKernelPowers) {
        for (double m : kPriorStrengths) {
          size_t n = 0;
          const double loss = loss_of(m, power, &n);
          if (loss < fit.log_loss) {
            fit.log_loss = loss;
            fit.prior_strength = m;
            fit.kernel_power = power;
          }
        }
      }
      tier.prior_strength = fit.prior_strength;
      tier.kernel_power = fit.kernel_power;
    }
    calibration_.push_back(fit);
  }
}

std::vector<TierEstimate> TierSuccessEstimator::FromNeighbors(
    const std::vector<Neighbor>& neighbors, int64_t left_out) const {
  std::vector<TierEstimate> estimates;
  estimates.reserve(tiers_.size());
  for (size_t t = 0; t < tiers_.size(); ++t) {
    const TierModel& tier = tiers_[t];
    Evidence evidence;
    for (const Neighbor& neighbor : neighbors) {
      const float label = labels_[t][neighbor.exemplar];
      if (neighbor.exemplar == left_out || label < 0.0f ||
          neighbor.similarity <= options_.min_similarity) {
        continue;
      }
      const double w = std::pow(std::max(0.0f, neighbor.similarity), tier.kernel_power);
      evidence.weighted_sum += w * label;
      evidence.weight += w;
      evidence.count += 1;
      evidence.similarity_sum += neighbor.similarity;
    }
    TierEstimate estimate;
    estimate.tier = tier.name;
    estimate.base_rate = tier.base_rate;
    estimate.probability = Clamp((evidence.weighted_sum + tier.prior_strength * tier.base_rate) /
                                 (evidence.weight + tier.prior_strength));
    estimate.neighbours = evidence.count;
    estimate.mean_similarity = evidence.count == 0 ? 0.0 : evidence.similarity_sum / evidence.count;
    estimates.push_back(std::move(estimate));
  }
  return estimates;
}

absl::StatusOr<std::vector<TierEstimate>> TierSuccessEstimator::Estimate(
    absl::string_view query) const {
  const std::string text(query);
  absl::StatusOr<Embeddings> embedded = EmbedNormalized(*embedder_, absl::MakeConstSpan(&text, 1));
  if (!embedded.ok()) return embedded.status();
  const float* vector = embedded->row(0);
  std::vector<Neighbor> neighbors;
  // A query with no features (only punctuation) has no neighbours: base rates.
  if (std::any_of(vector, vector + index_->dimension(), [](float x) { return x != 0.0f; })) {
    neighbors = index_->Search(vector, options_.neighbours);
  }
  return FromNeighbors(neighbors, /*left_out=*/-1);
}

}  // namespace cascade::router
