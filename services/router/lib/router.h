#pragma once

// The router: validates queries and answers them from the current RouteIndex snapshot;
// route changes build a complete new snapshot and swap it in atomically, so a request sees
// the old set or the new one, never a half-built index.

#include <atomic>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/router/lib/decision.h"
#include "services/router/lib/route_index.h"
#include "services/router/lib/route_set.h"

namespace cascade::router {

struct RouterOptions {
  RouteIndexOptions index;
  // RouterConfig.max_query_bytes.
  size_t max_query_bytes = 8192;
};

class Router {
 public:
  static absl::StatusOr<std::unique_ptr<Router>> Create(RouteSet routes, RouterOptions options);

  // InvalidArgument for an empty, oversized or non-UTF-8 query. Thread-safe, lock-free
  // apart from the snapshot load.
  absl::StatusOr<Decision> Route(absl::string_view query) const;

  // Adds routes or replaces those with the same names. Returns the exemplar count after.
  absl::StatusOr<size_t> Upsert(absl::Span<const RouteSpec> routes);
  // NotFound when no route has that name.
  absl::Status Delete(absl::string_view name);
  // Replaces the whole set (a reloaded routes file).
  absl::Status Replace(RouteSet routes);

  RouteSet List() const { return Snapshot()->routes(); }
  size_t max_query_bytes() const { return options_.max_query_bytes; }
  std::shared_ptr<const RouteIndex> Snapshot() const { return current_.load(); }

 private:
  explicit Router(RouterOptions options) : options_(std::move(options)) {}

  // Builds the snapshot for `routes` and publishes it; callers hold update_mutex_.
  absl::Status Publish(RouteSet routes);

  const RouterOptions options_;
  // Serialises updates, so that two concurrent upserts both land (read-modify-write).
  std::mutex update_mutex_;
  std::atomic<std::shared_ptr<const RouteIndex>> current_;
};

}  // namespace cascade::router
