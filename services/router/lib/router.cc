#include "services/router/lib/router.h"

#include <utility>

#include "services/router/lib/query_validation.h"

namespace cascade::router {

absl::StatusOr<std::unique_ptr<Router>> Router::Create(RouteSet routes, RouterOptions options) {
  std::unique_ptr<Router> router(new Router(std::move(options)));
  std::lock_guard<std::mutex> lock(router->update_mutex_);
  if (absl::Status status = router->Publish(std::move(routes)); !status.ok()) return status;
  return router;
}

absl::StatusOr<Decision> Router::Route(absl::string_view query) const {
  if (absl::Status status = ValidateQuery(query, options_.max_query_bytes); !status.ok()) {
    return status;
  }
  // The snapshot stays alive for this call even if an update swaps it out meanwhile.
  const std::shared_ptr<const RouteIndex> snapshot = Snapshot();
  return snapshot->Route(query);
}

absl::Status Router::Publish(RouteSet routes) {
  absl::StatusOr<std::shared_ptr<const RouteIndex>> index =
      RouteIndex::Build(std::move(routes), options_.index);
  if (!index.ok()) return index.status();
  current_.store(std::move(*index));
  return absl::OkStatus();
}

absl::StatusOr<size_t> Router::Upsert(absl::Span<const RouteSpec> routes) {
  std::lock_guard<std::mutex> lock(update_mutex_);
  RouteSet updated = Snapshot()->routes();
  if (absl::Status status = UpsertRoutes(updated, routes); !status.ok()) return status;
  if (absl::Status status = Publish(std::move(updated)); !status.ok()) return status;
  return Snapshot()->exemplars();
}

absl::Status Router::Delete(absl::string_view name) {
  std::lock_guard<std::mutex> lock(update_mutex_);
  RouteSet updated = Snapshot()->routes();
  if (absl::Status status = DeleteRoute(updated, name); !status.ok()) return status;
  return Publish(std::move(updated));
}

absl::Status Router::Replace(RouteSet routes) {
  std::lock_guard<std::mutex> lock(update_mutex_);
  return Publish(std::move(routes));
}

}  // namespace cascade::router
