#include "tools/cascadectl/routes_fit_command.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "cascade/v1/config.pb.h"
#include "common/config/config_loader.h"
#include "services/router/lib/labeled_queries.h"
#include "services/router/lib/route_index.h"
#include "services/router/lib/route_set_yaml.h"
#include "services/router/lib/threshold_fitter.h"
#include "services/router/router_options.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

using router::RouteIndex;
using router::RoutingQuality;
using router::ThresholdFit;

// The thresholds the routes file sets now, as a fit, to measure "before".
ThresholdFit CurrentThresholds(const RouteIndex& index) {
  ThresholdFit current;
  current.global_threshold = index.ThresholdOf(router::RouteSpec{});
  for (const router::RouteSpec& route : index.routes().routes) {
    current.route_thresholds[route.name] = index.ThresholdOf(route);
  }
  return current;
}

nlohmann::json QualityJson(const RoutingQuality& quality) {
  return {{"in_scope_accuracy", quality.in_scope_accuracy()},
          {"out_of_scope_precision", quality.out_of_scope_precision()},
          {"out_of_scope_recall", quality.out_of_scope_recall()},
          {"accuracy", quality.accuracy()}};
}

std::string QualityRow(const std::string& name, const RoutingQuality& quality) {
  return absl::StrFormat("  %-22s %12.1f%% %14.3f %11.3f %9.1f%%\n", name,
                         100.0 * quality.in_scope_accuracy(), quality.out_of_scope_precision(),
                         quality.out_of_scope_recall(), 100.0 * quality.accuracy());
}

absl::StatusOr<router::RouterOptions> OptionsFrom(const CommandArgs& args) {
  cascade::v1::RouterConfig config;
  if (std::optional<std::string> path = args.Value("router-config")) {
    if (absl::Status loaded = LoadConfigFile(*path, &config); !loaded.ok()) return loaded;
  }
  return router::RouterOptionsFromConfig(config);
}

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl routes fit: " << message << "\n\n" << kRoutesFitUsage;
  return 2;
}

int Fail(std::ostream& err, const absl::Status& status) {
  err << "cascadectl routes fit: " << status.message() << "\n";
  return 1;
}

}  // namespace

int RunRoutesFit(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args =
      CommandArgs::Parse(raw_args, {"data", "routes", "out", "router-config", "objective"},
                         {"global-only", "dry-run", "json", "help"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kRoutesFitUsage;
    return 0;
  }
  absl::StatusOr<std::string> data_path = args->Required("data");
  if (!data_path.ok()) return UsageError(err, data_path.status().message());
  absl::StatusOr<std::string> routes_path = args->Required("routes");
  if (!routes_path.ok()) return UsageError(err, routes_path.status().message());
  if (!args->positionals().empty()) {
    return UsageError(err, "unexpected argument '" + args->positionals().front() + "'");
  }
  router::ThresholdFitOptions fit_options;
  const std::string objective = args->ValueOr("objective", "accuracy");
  if (objective == "balanced") {
    fit_options.objective = router::ThresholdObjective::kBalancedAccuracy;
  } else if (objective != "accuracy") {
    return UsageError(err, "--objective must be accuracy or balanced, not '" + objective + "'");
  }
  fit_options.per_route = !args->Has("global-only");

  absl::StatusOr<router::RouterOptions> options = OptionsFrom(*args);
  if (!options.ok()) return Fail(err, options.status());
  absl::StatusOr<router::RouteSet> routes = router::LoadRouteSetFile(*routes_path);
  if (!routes.ok()) return Fail(err, routes.status());
  absl::StatusOr<std::vector<router::LabeledQuery>> queries =
      router::LoadLabeledQueriesFile(*data_path);
  if (!queries.ok()) return Fail(err, queries.status());

  absl::StatusOr<std::shared_ptr<const RouteIndex>> index =
      RouteIndex::Build(*routes, options->index);
  if (!index.ok()) return Fail(err, index.status());
  absl::StatusOr<std::vector<router::ScoredQuery>> scored =
      router::ScoreLabeledQueries(**index, *queries);
  if (!scored.ok()) return Fail(err, scored.status());
  absl::StatusOr<ThresholdFit> fit = router::FitThresholds(*scored, fit_options);
  if (!fit.ok()) return Fail(err, fit.status());

  const RoutingQuality before = router::MeasureRoutingQuality(*scored, CurrentThresholds(**index));
  const RoutingQuality after = router::MeasureRoutingQuality(*scored, *fit);
  router::ApplyThresholds(*fit, *routes);

  const bool write = !args->Has("dry-run");
  const std::string out_path = args->ValueOr("out", *routes_path);
  if (write) {
    if (absl::Status written = router::WriteRouteSetFile(*routes, out_path); !written.ok()) {
      return Fail(err, written);
    }
  }

  if (args->Has("json")) {
    nlohmann::json report = {
        {"queries", queries->size()},
        {"in_scope", after.in_scope},
        {"out_of_scope", after.out_of_scope},
        {"global_threshold", fit->global_threshold},
        {"route_thresholds", nlohmann::json::object()},
        {"before", QualityJson(before)},
        {"after", QualityJson(after)},
        {"written", write ? nlohmann::json(out_path) : nlohmann::json(nullptr)}};
    for (const auto& [route, threshold] : fit->route_thresholds) {
      report["route_thresholds"][route] = threshold;
    }
    out << report.dump(2) << "\n";
    return 0;
  }
  out << absl::StrFormat("fitted on %d labeled queries (%d in scope, %d out of scope)\n",
                         queries->size(), after.in_scope, after.out_of_scope);
  out << absl::StrFormat("global threshold: %.4f\n", fit->global_threshold);
  out << absl::StrFormat("routes with their own threshold: %d\n", fit->route_thresholds.size());
  std::map<std::string, double> sorted(fit->route_thresholds.begin(), fit->route_thresholds.end());
  for (const auto& [route, threshold] : sorted) {
    out << absl::StrFormat("  %-30s %.4f\n", route, threshold);
  }
  out << "\nmeasured on the same queries (in-sample: hold some out to judge the fit):\n";
  out << absl::StrFormat("  %-22s %13s %14s %11s %10s\n", "thresholds", "in-scope acc",
                         "oos precision", "oos recall", "accuracy");
  out << QualityRow("before (routes file)", before) << QualityRow("after (fitted)", after);
  out << (write ? "\nwrote " + out_path + "\n" : "\n--dry-run: nothing written\n");
  return 0;
}

}  // namespace cascade::cli
