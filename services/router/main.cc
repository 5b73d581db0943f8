// cascade-router: Semantic router: embeds a query and picks a route and a starting tier from a
// FAISS index of route exemplars.
//
// Without a routes file the router starts with no routes: every query takes the default
// route (the first tier) until routes are added with UpsertRoutes. That keeps a bare
// server useful for probes and deployment checks, and it says so in a warning.

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cascade/v1/router.grpc.pb.h"
#include "common/grpc_runtime/service_main.h"
#include "common/io/file_watcher.h"
#include "common/log/logger.h"
#include "services/router/lib/route_set_yaml.h"
#include "services/router/route_updater.h"
#include "services/router/router_metrics.h"
#include "services/router/router_options.h"
#include "services/router/router_service.h"

namespace {

using cascade::FileSignature;

absl::StatusOr<cascade::ServiceParts> BuildParts(const cascade::v1::RouterConfig& config,
                                                 const cascade::ServiceEnvironment& env) {
  absl::StatusOr<cascade::router::RouterOptions> options =
      cascade::router::RouterOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::chrono::milliseconds> poll_interval =
      cascade::router::RoutesPollInterval(config);
  if (!poll_interval.ok()) return poll_interval.status();

  const std::string& routes_file = config.routes_file();
  cascade::router::RouteSet routes;
  FileSignature loaded_signature;
  if (routes_file.empty()) {
    cascade::LogWarn("no_routes_file",
                     {{"detail",
                       "no routes_file in the config: every query takes the default route "
                       "until routes are added with UpsertRoutes"}});
  } else {
    // Before reading, so that a change made while we load is seen by the watcher.
    loaded_signature = cascade::ReadFileSignature(routes_file);
    absl::StatusOr<cascade::router::RouteSet> loaded =
        cascade::router::LoadRouteSetFile(routes_file);
    if (!loaded.ok()) return loaded.status();
    routes = *std::move(loaded);
  }

  absl::StatusOr<std::unique_ptr<cascade::router::Router>> router =
      cascade::router::Router::Create(std::move(routes), *options);
  if (!router.ok()) {
    const absl::Status& status = router.status();
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
      // The embedding endpoint is down: exit 69 (EX_UNAVAILABLE, logged as startup_failed)
      // and let the supervisor restart us; serving with no index would route nothing.
      return absl::UnavailableError(
          absl::StrCat("the routes could not be embedded: ", status.message()));
    }
    return status;
  }
  std::shared_ptr<cascade::router::Router> shared_router = *std::move(router);
  const auto snapshot = shared_router->Snapshot();
  const cascade::router::RouteIndexBuildStats& stats = snapshot->build_stats();
  cascade::LogInfo("routes_loaded", {{"file", routes_file},
                                     {"routes", snapshot->routes().routes.size()},
                                     {"exemplars", snapshot->exemplars()},
                                     {"default_route", snapshot->routes().default_route.name},
                                     {"index", snapshot->uses_hnsw() ? "hnsw" : "flat"},
                                     {"scorer", snapshot->scorer_name()},
                                     {"embedder", snapshot->embedder_name()},
                                     {"build_seconds", stats.embed_seconds + stats.index_seconds +
                                                           stats.scorer_seconds}});

  auto metrics = std::make_shared<cascade::router::RouterMetrics>(env.registry);

  absl::StatusOr<cascade::router::OutcomeStoreOptions> outcome_options =
      cascade::router::OutcomeStoreOptionsFromConfig(config, *options);
  if (!outcome_options.ok()) return outcome_options.status();
  const std::string outcomes_file = outcome_options->file;
  const FileSignature outcomes_signature = cascade::ReadFileSignature(outcomes_file);
  absl::StatusOr<std::unique_ptr<cascade::router::OutcomeStore>> created =
      cascade::router::OutcomeStore::Create(*std::move(outcome_options));
  if (!created.ok()) return created.status();
  std::shared_ptr<cascade::router::OutcomeStore> outcomes = *std::move(created);
  for (const cascade::router::OutcomePolicySummary& policy : outcomes->List()) {
    metrics->SetOutcomeExemplars(policy.policy, policy.exemplars);
    cascade::LogInfo(
        "outcomes_loaded",
        {{"file", outcomes_file}, {"policy", policy.policy}, {"exemplars", policy.exemplars}});
  }
  auto updater = std::make_shared<cascade::router::RouteUpdater>(shared_router, metrics,
                                                                 config.writable_routes_file());
  cascade::ServiceParts parts;
  parts.services.push_back(
      std::make_unique<cascade::router::RouterService>(shared_router, updater, outcomes, metrics));
  if (!routes_file.empty()) {
    // Errors are logged and counted by ReloadFile; the routes in service stay.
    parts.keep_alive.push_back(std::make_shared<cascade::FileWatcher>(
        routes_file, *poll_interval, loaded_signature,
        [updater, routes_file] { (void)updater->ReloadFile(routes_file); }));
  }
  if (!outcomes_file.empty()) {
    // Another replica's AddOutcomes (or an operator's copy) rewrote the file. A bad version
    // is logged and counted; the exemplars in service stay.
    parts.keep_alive.push_back(std::make_shared<cascade::FileWatcher>(
        outcomes_file, *poll_interval, outcomes_signature, [outcomes, metrics, outcomes_file] {
          bool changed = false;
          const absl::Status status = outcomes->ReloadFile(&changed);
          if (!status.ok()) {
            metrics->RecordOutcomeReload(false);
            cascade::LogError("outcomes_reload_failed",
                              {{"file", outcomes_file}, {"error", std::string(status.message())}});
            return;
          }
          if (!changed) return;  // Our own write.
          metrics->RecordOutcomeReload(true);
          for (const cascade::router::OutcomePolicySummary& policy : outcomes->List()) {
            metrics->SetOutcomeExemplars(policy.policy, policy.exemplars);
          }
          cascade::LogInfo("outcomes_reloaded", {{"file", outcomes_file}});
        }));
  }
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (which gRPC locks several
  // times per call) runs deadlock detection, a lock-graph update per acquisition: about 6%
  // of the CPU of a Route() call over gRPC. Our own code has no lock-order cycles to find.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return cascade::ServiceMain<cascade::v1::RouterConfig>(
      argc, argv, "router",
      {.binary = "cascade-router",
       .summary = "Semantic router: embeds a query and picks a route and a starting tier from a "
                  "FAISS index of route exemplars.",
       .has_http_listen = false,
       .config_type = ""},
      BuildParts);
}
