#pragma once

// cascade.v1.Router on gRPC's callback API: a thin adapter over the routing library.
// Route() is answered inline (tens of microseconds of CPU, no blocking) from the current
// index snapshot; route changes rebuild the index, which can take seconds, so they run
// one at a time on a thread of their own while Route() keeps answering from the old
// snapshot. Route takes the raw request bytes: see route_request_reader.h.

#include <grpcpp/grpcpp.h>

#include <memory>

#include "cascade/v1/router.grpc.pb.h"
#include "services/router/lib/outcome_store.h"
#include "services/router/lib/router.h"
#include "services/router/route_updater.h"
#include "services/router/router_metrics.h"
#include "services/router/serial_task_queue.h"

namespace cascade::router {

class RouterService final : public cascade::v1::Router::WithRawCallbackMethod_Route<
                                cascade::v1::Router::CallbackService> {
 public:
  // `outcomes` serves the learned start (EstimateTiers, AddOutcomes, ListOutcomes).
  RouterService(std::shared_ptr<Router> router, std::shared_ptr<RouteUpdater> updater,
                std::shared_ptr<OutcomeStore> outcomes, std::shared_ptr<RouterMetrics> metrics);

  // The typed Route of the base class is never called (the method is raw); this overload
  // is the one registered.
  using cascade::v1::Router::CallbackService::Route;
  grpc::ServerUnaryReactor* Route(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpsertRoutes(grpc::CallbackServerContext* context,
                                         const cascade::v1::UpsertRoutesRequest* request,
                                         cascade::v1::UpsertRoutesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRoute(grpc::CallbackServerContext* context,
                                        const cascade::v1::DeleteRouteRequest* request,
                                        cascade::v1::DeleteRouteResponse* response) override;
  grpc::ServerUnaryReactor* ListRoutes(grpc::CallbackServerContext* context,
                                       const cascade::v1::ListRoutesRequest* request,
                                       cascade::v1::ListRoutesResponse* response) override;
  grpc::ServerUnaryReactor* EstimateTiers(grpc::CallbackServerContext* context,
                                          const cascade::v1::EstimateTiersRequest* request,
                                          cascade::v1::EstimateTiersResponse* response) override;
  grpc::ServerUnaryReactor* AddOutcomes(grpc::CallbackServerContext* context,
                                        const cascade::v1::AddOutcomesRequest* request,
                                        cascade::v1::AddOutcomesResponse* response) override;
  grpc::ServerUnaryReactor* ListOutcomes(grpc::CallbackServerContext* context,
                                         const cascade::v1::ListOutcomesRequest* request,
                                         cascade::v1::ListOutcomesResponse* response) override;

 private:
  std::shared_ptr<Router> router_;
  std::shared_ptr<RouteUpdater> updater_;
  std::shared_ptr<OutcomeStore> outcomes_;
  std::shared_ptr<RouterMetrics> metrics_;
  SerialTaskQueue updates_;  // Last: destroyed (finishing queued changes) first.
};

}  // namespace cascade::router
