#pragma once

// The HTTP side port of every server: GET /metrics (Prometheus text format),
// GET /healthz (live: the process answers) and GET /readyz (ready: 503 while draining),
// so Kubernetes probes work even when gRPC uses TLS.

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/grpc_runtime/listen_address.h"

namespace httplib {
class Server;
}

namespace cascade {

class MetricsHttpServer {
 public:
  struct Options {
    ListenAddress address;
    std::shared_ptr<prometheus::Registry> registry;
    // Answers /readyz; true = 200, false = 503.
    std::function<bool()> ready;
  };

  // Binds and starts serving on a thread of its own.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(Options options);
  ~MetricsHttpServer();

  // HOST:PORT as bound (the real port when 0 was asked for).
  const std::string& address() const { return bound_address_; }
  void Stop();

 private:
  MetricsHttpServer() = default;

  Options options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string bound_address_;
};

}  // namespace cascade
