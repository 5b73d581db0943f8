#pragma once

// Hosts one Cascade server: the gRPC server (callback API) with grpc.health.v1, server
// reflection and per-method metrics, plus the metrics/health HTTP port; and the drain
// sequence of docs/architecture.md:
//   BeginDrain()  readiness fails and health reports NOT_SERVING, calls still served;
//   Shutdown()    no new calls; in-flight calls get until the deadline, then are cancelled.

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/metrics_http_server.h"
#include "common/security/grpc_security.h"

namespace cascade {

struct ServiceHostOptions {
  // Short name for logs and build_info, e.g. "router".
  std::string service_name;
  ListenAddress grpc_address;
  ListenAddress metrics_address;
  int max_receive_message_bytes = 4 << 20;
  // Not owned; must outlive the host.
  std::vector<grpc::Service*> services;
  std::shared_ptr<prometheus::Registry> registry;
  // TLS, mutual TLS and API keys of the gRPC port; default plaintext.
  GrpcServerSecurity security;
  // A connection older than this is sent GOAWAY, so balancing clients re-resolve and reach
  // new replicas; calls still running get max_connection_age_grace. Zero: no limit.
  std::chrono::milliseconds max_connection_age{0};
  std::chrono::milliseconds max_connection_age_grace{0};
};

class ServiceHost {
 public:
  // Binds both ports and starts serving. UNAVAILABLE when an address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ServiceHost>> Start(ServiceHostOptions options);
  ~ServiceHost();

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_->address(); }
  bool ready() const { return ready_.load(); }

  void BeginDrain();
  // Stops accepting calls and waits for in-flight ones until `deadline`, cancelling those
  // still running then. Idempotent.
  void Shutdown(std::chrono::system_clock::time_point deadline);

 private:
  ServiceHost() = default;

  ServiceHostOptions options_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsHttpServer> metrics_;
  std::string grpc_address_;
  std::atomic<bool> ready_{true};
  std::atomic<bool> shut_down_{false};
};

}  // namespace cascade
