#pragma once

// Turns the router's config message into the routing library's options, so that the
// server and `cascadectl routes fit` build the same index (thresholds fitted with another
// scorer would not fit the server's).

#include <chrono>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/router/lib/outcome_store.h"
#include "services/router/lib/router.h"

namespace cascade::router {

// InvalidArgument naming the field for an unknown embedder, scorer or voting name, or a
// value out of range.
absl::StatusOr<RouterOptions> RouterOptionsFromConfig(const cascade::v1::RouterConfig& config);

// The outcome exemplars' options (outcomes_file, max_outcome_exemplars,
// outcome_neighbours), embedding with `router`'s embedder. InvalidArgument naming the field
// for a value out of range.
absl::StatusOr<OutcomeStoreOptions> OutcomeStoreOptionsFromConfig(
    const cascade::v1::RouterConfig& config, const RouterOptions& router);

// routes_poll_interval, or its default (1 s); InvalidArgument unless positive.
absl::StatusOr<std::chrono::milliseconds> RoutesPollInterval(
    const cascade::v1::RouterConfig& config);

}  // namespace cascade::router
