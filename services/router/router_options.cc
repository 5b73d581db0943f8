#include "services/router/router_options.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "services/router/lib/hashed_embedder.h"

namespace cascade::router {
namespace {

absl::Status UnknownName(absl::string_view field, const std::string& value,
                         absl::string_view allowed) {
  return absl::InvalidArgumentError(
      absl::StrCat("router config: ", field, " '", value, "' is not one of ", allowed));
}

}  // namespace

absl::StatusOr<RouterOptions> RouterOptionsFromConfig(const cascade::v1::RouterConfig& config) {
  RouterOptions options;
  if (config.max_query_bytes() < 0) {
    return absl::InvalidArgumentError("router config: max_query_bytes must be > 0");
  }
  if (config.max_query_bytes() > 0) options.max_query_bytes = config.max_query_bytes();

  if (config.embedder().empty() || config.embedder() == "hashed") {
    options.index.embedder = HashedEmbedder::Factory(HashedEmbedderOptions{});
  } else {
    return UnknownName("embedder", config.embedder(), "hashed");
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
  return options;
}

absl::StatusOr<std::chrono::milliseconds> RoutesPollInterval(
    const cascade::v1::RouterConfig& config) {
  if (!config.has_routes_poll_interval()) return std::chrono::milliseconds(1000);
  const std::chrono::milliseconds interval(
      google::protobuf::util::TimeUtil::DurationToMilliseconds(config.routes_poll_interval()));
  if (interval.count() <= 0) {
    return absl::InvalidArgumentError("router config: routes_poll_interval must be > 0");
  }
  return interval;
}

}  // namespace cascade::router
