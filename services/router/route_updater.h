#pragma once

// Applies route changes to the Router one at a time, from both places they come from:
// UpsertRoutes/DeleteRoute over gRPC (written back to the writable routes file when one is
// configured) and a changed routes file (hot reload). Every change builds a whole new
// index and swaps it in; Route() calls never wait for it.
//
// Degraded modes, each with a warning log line and a counter:
//   - the routes file changed but does not load (bad YAML, duplicate route, ...): the
//     current routes stay in service (cascade_router_reload_failures_total);
//   - a gRPC change cannot be written back: it is rolled back and the call fails, so the
//     file stays the source of truth (cascade_router_write_back_failures_total).

#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/router/lib/router.h"
#include "services/router/router_metrics.h"

namespace cascade::router {

class RouteUpdater {
 public:
  // `writable_routes_file` empty: gRPC changes stay in memory.
  RouteUpdater(std::shared_ptr<Router> router, std::shared_ptr<RouterMetrics> metrics,
               std::string writable_routes_file);

  // Router::Upsert, then the write-back. Returns the exemplar count after.
  absl::StatusOr<size_t> Upsert(absl::Span<const RouteSpec> routes);
  // NotFound for an unknown route.
  absl::Status Delete(absl::string_view name);
  // Loads `path` and swaps it in when it differs from the routes in service. On error the
  // routes in service stay, and the error is logged, counted and returned.
  absl::Status ReloadFile(const std::string& path);

 private:
  // Writes the routes now in service to the writable file; on failure restores `before`.
  absl::Status WriteBackOrRollBack(const RouteSet& before) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::shared_ptr<Router> router_;
  std::shared_ptr<RouterMetrics> metrics_;
  const std::string writable_routes_file_;
  // One change at a time: a reload must not interleave with an upsert's write-back.
  std::mutex mu_;
};

}  // namespace cascade::router
