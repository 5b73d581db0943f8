#include "services/router/router_options.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/config_loader.h"
#include "common/config/proto_duration.h"
#include "services/router/lib/hashed_embedder.h"
#include "services/router/lib/openai_embedder.h"
#include "services/router/openai_embedder_config.h"

namespace cascade::router {
namespace {

absl::Status UnknownName(absl::string_view field, const std::string& value,
                         absl::string_view allowed) {
  return absl::InvalidArgumentError(
      absl::StrCat("router config: ", field, " '", value, "' is not one of ", allowed));
}

// A field where 0 (unset) keeps the default: `target` = `value` unless it is 0;
// InvalidArgument naming the field when it is outside [low, high].
absl::Status SetUnlessZero(absl::string_view field, int32_t value, int32_t low, int32_t high,
                           int& target) {
  if (value == 0) return absl::OkStatus();
  if (value < low || value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat("router config: ", field, " ", value, " is outside [", low, ", ", high, "]"));
  }
  target = value;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouterOptions> RouterOptionsFromConfig(const cascade::v1::RouterConfig& config) {
  RouterOptions options;
  if (config.max_query_bytes() < 0) {
    return absl::InvalidArgumentError("router config: max_query_bytes must be > 0");
  }
  if (config.max_query_bytes() > 0) options.max_query_bytes = config.max_query_bytes();

  if (config.embedder() == "openai") {
    if (config.hashed_dimensions() != 0) {
      return absl::InvalidArgumentError(
          "router config: hashed_dimensions is set but embedder is `openai` (its vectors have "
          "the endpoint's width; set openai_embedder.dimensions)");
    }
    if (!config.has_openai_embedder()) {
      return absl::InvalidArgumentError(
          "router config: `embedder: openai` needs an `openai_embedder` block (base_url, model)");
    }
    OpenAIEmbedderOptions openai;
    if (absl::Status applied = ApplyOpenAIEmbedderConfig(config.openai_embedder(),
                                                         "router config: openai_embedder", openai);
        !applied.ok()) {
      return applied;
    }
    absl::StatusOr<std::shared_ptr<OpenAIEmbedder>> embedder =
        OpenAIEmbedder::Create(std::move(openai));
    if (!embedder.ok()) return embedder.status();
    options.index.embedder = OpenAIEmbedder::Factory(*std::move(embedder));
  } else if (config.has_openai_embedder()) {
    return absl::InvalidArgumentError(
        "router config: openai_embedder is set but embedder is not `openai`");
  } else if (config.embedder().empty() || config.embedder() == "hashed") {
    HashedEmbedderOptions hashed;
    int dimension = static_cast<int>(hashed.dimension);
    if (absl::Status status =
            SetUnlessZero("hashed_dimensions", config.hashed_dimensions(), 16, 8192, dimension);
        !status.ok()) {
      return status;
    }
    hashed.dimension = static_cast<size_t>(dimension);
    options.index.embedder = HashedEmbedder::Factory(hashed);
  } else {
    return UnknownName("embedder", config.embedder(), "hashed, openai");
  }

  ScorerOptions& scorer = options.index.scorer;
  if (config.scorer().empty() || config.scorer() == "blend") {
    scorer.kind = ScorerKind::kBlend;
  } else if (config.scorer() == "linear") {
    scorer.kind = ScorerKind::kLinear;
  } else if (config.scorer() == "knn") {
    scorer.kind = ScorerKind::kKnnVote;
  } else {
    return UnknownName("scorer", config.scorer(), "blend, linear, knn");
  }

  if (config.voting().empty() || config.voting() == "sum") {
    scorer.vote = VoteMode::kSum;
  } else if (config.voting() == "mean") {
    scorer.vote = VoteMode::kMean;
  } else if (config.voting() == "max") {
    scorer.vote = VoteMode::kMax;
  } else {
    return UnknownName("voting", config.voting(), "sum, mean, max");
  }

  if (config.top_k() < 0 || config.top_k() > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("router config: top_k ", config.top_k(), " is outside [1, 1000]"));
  }
  if (config.top_k() > 0) options.index.top_k = config.top_k();

  if (config.has_default_threshold()) {
    const double threshold = config.default_threshold();
    if (!(threshold >= -1.0 && threshold <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("router config: default_threshold ", threshold, " is outside [-1, 1]"));
    }
    options.index.default_threshold = threshold;
  }

  if (config.hnsw_min_exemplars() < 0) {
    return absl::InvalidArgumentError("router config: hnsw_min_exemplars must be >= 0");
  }
  if (config.hnsw_min_exemplars() > 0) {
    options.index.index.hnsw_min_exemplars = static_cast<size_t>(config.hnsw_min_exemplars());
  }
  ExemplarIndexOptions& index = options.index.index;
  if (absl::Status status = SetUnlessZero("hnsw_m", config.hnsw_m(), 2, 128, index.hnsw_m);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = SetUnlessZero("hnsw_ef_construction", config.hnsw_ef_construction(), 1,
                                          4096, index.hnsw_ef_construction);
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          SetUnlessZero("hnsw_ef_search", config.hnsw_ef_search(), 1, 4096, index.hnsw_ef_search);
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          SetUnlessZero("linear_epochs", config.linear_epochs(), 1, 1000, scorer.linear.epochs);
      !status.ok()) {
    return status;
  }

  const double l2 = config.linear_l2();
  if (!(l2 >= 0.0 && l2 <= 0.1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("router config: linear_l2 ", l2, " is outside [0, 0.1]"));
  }
  scorer.linear.l2 = l2;

  if (config.has_blend_linear_weight()) {
    const double weight = config.blend_linear_weight();
    if (!(weight >= 0.0 && weight <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("router config: blend_linear_weight ", weight, " is outside [0, 1]"));
    }
    scorer.linear_weight = weight;
  }

  if (config.has_max_alternatives()) {
    if (config.max_alternatives() < 0 || config.max_alternatives() > 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "router config: max_alternatives ", config.max_alternatives(), " is outside [0, 100]"));
    }
    options.index.max_alternatives = static_cast<size_t>(config.max_alternatives());
  }
  return options;
}

absl::StatusOr<OutcomeStoreOptions> OutcomeStoreOptionsFromConfig(
    const cascade::v1::RouterConfig& config, const RouterOptions& router) {
  OutcomeStoreOptions options;
  options.file = config.outcomes_file();
  options.estimator.embedder = router.index.embedder;
  options.estimator.index = router.index.index;
  if (config.max_outcome_exemplars() < 0 || config.max_outcome_exemplars() > 1000000) {
    return absl::InvalidArgumentError(absl::StrCat("router config: max_outcome_exemplars ",
                                                   config.max_outcome_exemplars(),
                                                   " is outside [1, 1000000]"));
  }
  if (config.max_outcome_exemplars() > 0) {
    options.max_exemplars_per_policy = static_cast<size_t>(config.max_outcome_exemplars());
  }
  if (config.outcome_neighbours() < 0 || config.outcome_neighbours() > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("router config: outcome_neighbours ",
                                                   config.outcome_neighbours(),
                                                   " is outside [1, 1000]"));
  }
  if (config.outcome_neighbours() > 0) options.estimator.neighbours = config.outcome_neighbours();
  return options;
}

absl::StatusOr<std::chrono::milliseconds> RoutesPollInterval(
    const cascade::v1::RouterConfig& config) {
  if (!config.has_routes_poll_interval()) return std::chrono::milliseconds(1000);
  const std::chrono::milliseconds interval =
      absl::ToChronoMilliseconds(DurationFromProto(config.routes_poll_interval()));
  if (interval.count() <= 0) {
    return absl::InvalidArgumentError("router config: routes_poll_interval must be > 0");
  }
  return interval;
}

}  // namespace cascade::router
