#include "services/router/route_updater.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/logger.h"
#include "services/router/lib/route_set_yaml.h"

namespace cascade::router {

RouteUpdater::RouteUpdater(std::shared_ptr<Router> router, std::shared_ptr<RouterMetrics> metrics,
                           std::string writable_routes_file)
    : router_(std::move(router)),
      metrics_(std::move(metrics)),
      writable_routes_file_(std::move(writable_routes_file)) {
  metrics_->SetExemplars(router_->Snapshot()->exemplars());
}

absl::StatusOr<size_t> RouteUpdater::Upsert(absl::Span<const RouteSpec> routes) {
  std::lock_guard<std::mutex> lock(mu_);
  const RouteSet before = router_->List();
  absl::StatusOr<size_t> exemplars = router_->Upsert(routes);
  if (!exemplars.ok()) return exemplars.status();
  if (absl::Status written = WriteBackOrRollBack(before); !written.ok()) return written;
  metrics_->SetExemplars(*exemplars);
  LogInfo("routes_upserted", {{"routes", routes.size()}, {"exemplars", *exemplars}});
  return exemplars;
}

absl::Status RouteUpdater::Delete(absl::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  const RouteSet before = router_->List();
  if (absl::Status deleted = router_->Delete(name); !deleted.ok()) return deleted;
  if (absl::Status written = WriteBackOrRollBack(before); !written.ok()) return written;
  const size_t exemplars = router_->Snapshot()->exemplars();
  metrics_->SetExemplars(exemplars);
  LogInfo("route_deleted", {{"route", std::string(name)}, {"exemplars", exemplars}});
  return absl::OkStatus();
}

absl::Status RouteUpdater::WriteBackOrRollBack(const RouteSet& before) {
  if (writable_routes_file_.empty()) return absl::OkStatus();
  absl::Status written = WriteRouteSetFile(router_->List(), writable_routes_file_);
  if (written.ok()) return absl::OkStatus();
  metrics_->RecordWriteBackFailure();
  LogWarn("routes_write_back_failed",
          {{"file", writable_routes_file_},
           {"error", std::string(written.message())},
           {"detail", "the change is rolled back: the routes file stays the source of truth"}});
  // `before` was in service a moment ago, so it builds again.
  if (absl::Status restored = router_->Replace(before); !restored.ok()) {
    LogError("routes_roll_back_failed", {{"error", std::string(restored.message())}});
  }
  return absl::FailedPreconditionError(
      absl::StrCat("routes not changed: cannot write them to writable_routes_file ",
                   writable_routes_file_, ": ", written.message()));
}

absl::Status RouteUpdater::ReloadFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<RouteSet> loaded = LoadRouteSetFile(path);
  absl::Status status = loaded.status();
  if (loaded.ok()) {
    // Our own write-back, seen by the watcher when both paths are the same file: nothing
    // to rebuild.
    if (*loaded == router_->List()) return absl::OkStatus();
    status = router_->Replace(*std::move(loaded));
  }
  if (!status.ok()) {
    metrics_->RecordReloadFailure();
    LogWarn("routes_reload_failed", {{"file", path},
                                     {"error", std::string(status.message())},
                                     {"detail", "the previous routes stay in service"}});
    return status;
  }
  const std::shared_ptr<const RouteIndex> snapshot = router_->Snapshot();
  metrics_->RecordReload();
  metrics_->SetExemplars(snapshot->exemplars());
  const RouteIndexBuildStats& stats = snapshot->build_stats();
  LogInfo("routes_reloaded",
          {{"file", path},
           {"routes", snapshot->routes().routes.size()},
           {"exemplars", snapshot->exemplars()},
           {"build_seconds", stats.embed_seconds + stats.index_seconds + stats.scorer_seconds}});
  return absl::OkStatus();
}

}  // namespace cascade::router
