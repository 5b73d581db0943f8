#pragma once

// Per-method series every server exports (metrics catalogue):
//   cascade_grpc_server_requests_total{service, method, code}
//   cascade_grpc_server_request_duration_seconds{service, method}
// recorded by a gRPC server interceptor, so no handler has to remember to.

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

namespace cascade {

class GrpcServerMetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcServerMetricsInterceptorFactory(prometheus::Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // Counts calls gRPC refused before any handler ran (a missing API key), which the
  // interceptor never sees. `method` is "/pkg.Service/Method" as the client sent it; one no
  // linked proto defines is counted as service and method "unknown", so a client cannot
  // mint label values. The recorder outlives the factory.
  using RefusedCallRecorderFn = std::function<void(const std::string& method, grpc::StatusCode)>;
  RefusedCallRecorderFn RefusedCallRecorder() const;

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
};

}  // namespace cascade
