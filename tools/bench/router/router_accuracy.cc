// cascade-router-accuracy: how well the router's scorers route CLINC150.
//
// Builds routes from the train split, fits thresholds on val + oos_val and reports
// in-scope accuracy and out-of-scope precision/recall on the split named by --split
// (val while tuning; test only to report a configuration chosen on val).
//
//   cascade-router-accuracy [--split=val|test] [--scorer=blend|linear|knn] [--vote=sum|mean|max]
//       [--dimension=N] [--sparse-dimension=N] [--epochs=N] [--learning-rate=X]
//       [--linear-weight=X] [--top-k=N] [--objective=accuracy|balanced] [--data=PATH]
//       [--hnsw-m=N] [--ef-construction=N] [--ef-search=N]

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/router/lib/hashed_embedder.h"
#include "services/router/lib/labeled_queries.h"
#include "services/router/lib/route_index.h"
#include "services/router/lib/threshold_fitter.h"
#include "tools/bench/router/clinc150.h"

namespace cascade::router::bench {
namespace {

std::vector<LabeledQuery> Concat(const std::vector<LabeledQuery>& a,
                                 const std::vector<LabeledQuery>& b) {
  std::vector<LabeledQuery> out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void Print(const char* what, const RoutingQuality& quality) {
  std::printf("%-28s in-scope accuracy %.4f  oos precision %.4f  oos recall %.4f\n", what,
              quality.in_scope_accuracy(), quality.out_of_scope_precision(),
              quality.out_of_scope_recall());
}

int Run(const std::map<std::string, std::string>& flags) {
  auto flag = [&](const std::string& name, const std::string& fallback) {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  };
  auto number = [&](const std::string& name, double fallback) {
    double value = fallback;
    if (flags.count(name) && !absl::SimpleAtod(flags.at(name), &value)) {
      std::fprintf(stderr, "--%s: not a number\n", name.c_str());
      std::exit(2);
    }
    return value;
  };
  absl::StatusOr<Clinc150> data = LoadClinc150(flag("data", DefaultClinc150Path()));
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  RouteIndexOptions options;
  HashedEmbedderOptions embedder;
  embedder.dimension = static_cast<size_t>(number("dimension", embedder.dimension));
  embedder.sparse_dimension =
      static_cast<size_t>(number("sparse-dimension", embedder.sparse_dimension));
  options.embedder = HashedEmbedder::Factory(embedder);
  const std::string scorer = flag("scorer", "blend");
  options.scorer.kind = scorer == "linear" ? ScorerKind::kLinear
                        : scorer == "knn"  ? ScorerKind::kKnnVote
                                           : ScorerKind::kBlend;
  const std::string vote = flag("vote", "sum");
  options.scorer.vote = vote == "max"    ? VoteMode::kMax
                        : vote == "mean" ? VoteMode::kMean
                                         : VoteMode::kSum;
  options.scorer.linear.epochs = static_cast<int>(number("epochs", options.scorer.linear.epochs));
  options.scorer.linear.learning_rate =
      number("learning-rate", options.scorer.linear.learning_rate);
  options.scorer.linear.learning_rate_decay =
      number("learning-rate-decay", options.scorer.linear.learning_rate_decay);
  options.scorer.linear_weight = number("linear-weight", options.scorer.linear_weight);
  options.top_k = static_cast<int>(number("top-k", options.top_k));
  options.index.hnsw_m = static_cast<int>(number("hnsw-m", options.index.hnsw_m));
  options.index.hnsw_ef_construction =
      static_cast<int>(number("ef-construction", options.index.hnsw_ef_construction));
  options.index.hnsw_ef_search =
      static_cast<int>(number("ef-search", options.index.hnsw_ef_search));

  absl::StatusOr<std::shared_ptr<const RouteIndex>> index =
      RouteIndex::Build(RouteSetFromLabeledQueries(data->train), options);
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", index.status().ToString().c_str());
    return 1;
  }
  const RouteIndexBuildStats& stats = (*index)->build_stats();
  std::printf("scorer %s, %zu exemplars, %s; build: embed %.2fs, index %.2fs, scorer %.2fs\n",
              (*index)->scorer_name().c_str(), (*index)->exemplars(),
              (*index)->uses_hnsw() ? "HNSW" : "flat", stats.embed_seconds, stats.index_seconds,
              stats.scorer_seconds);

  absl::StatusOr<std::vector<ScoredQuery>> val =
      ScoreLabeledQueries(**index, Concat(data->val, data->oos_val));
  if (!val.ok()) {
    std::fprintf(stderr, "%s\n", val.status().ToString().c_str());
    return 1;
  }
  ThresholdFitOptions fit_options;
  fit_options.objective = flag("objective", "accuracy") == "balanced"
                              ? ThresholdObjective::kBalancedAccuracy
                              : ThresholdObjective::kAccuracy;
  absl::StatusOr<ThresholdFit> fit = FitThresholds(*val, fit_options);
  if (!fit.ok()) {
    std::fprintf(stderr, "%s\n", fit.status().ToString().c_str());
    return 1;
  }
  std::printf("fitted on val: global threshold %.4f, %zu routes with their own\n",
              fit->global_threshold, fit->route_thresholds.size());
  Print("val, no threshold", MeasureRoutingQuality(*val, ThresholdFit{-2.0, {}}));
  Print("val, fitted (in-sample)", MeasureRoutingQuality(*val, *fit));
  ThresholdFit global_only{fit->global_threshold, {}};
  Print("val, global only", MeasureRoutingQuality(*val, global_only));

  if (flag("split", "val") == "test") {
    absl::StatusOr<std::vector<ScoredQuery>> test =
        ScoreLabeledQueries(**index, Concat(data->test, data->oos_test));
    if (!test.ok()) {
      std::fprintf(stderr, "%s\n", test.status().ToString().c_str());
      return 1;
    }
    Print("test, no threshold", MeasureRoutingQuality(*test, ThresholdFit{-2.0, {}}));
    Print("test, fitted on val", MeasureRoutingQuality(*test, *fit));
    Print("test, global only", MeasureRoutingQuality(*test, global_only));
  }
  return 0;
}

}  // namespace
}  // namespace cascade::router::bench

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      std::fprintf(stderr, "unexpected argument %s; flags are --name=value\n", argv[i]);
      return 2;
    }
    std::pair<std::string, std::string> parts =
        absl::StrSplit(arg.substr(2), absl::MaxSplits('=', 1));
    flags[parts.first] = parts.second;
  }
  return cascade::router::bench::Run(flags);
}
