#include "common/grpc_runtime/metrics_http_server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade {

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(Options options) {
  if (options.address.is_unix) {
    return absl::InvalidArgumentError(
        "the metrics address must be HOST:PORT (Prometheus and Kubernetes probes speak TCP)");
  }
  std::unique_ptr<MetricsHttpServer> self(new MetricsHttpServer());
  self->options_ = std::move(options);
  self->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *self->server_;
  // Two threads are plenty for probes and one Prometheus scraper.
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };

  auto registry = self->options_.registry;
  server.Get("/metrics", [registry](const httplib::Request&, httplib::Response& response) {
    prometheus::TextSerializer serializer;
    response.set_content(serializer.Serialize(registry->Collect()),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  auto ready = self->options_.ready;
  server.Get("/readyz", [ready](const httplib::Request&, httplib::Response& response) {
    bool is_ready = !ready || ready();
    response.status = is_ready ? 200 : 503;
    response.set_content(is_ready ? "ready\n" : "draining\n", "text/plain");
  });

  const ListenAddress& address = self->options_.address;
  int port = address.port;
  if (port == 0) {
    port = server.bind_to_any_port(address.host);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(address.host, port)) {
    port = 0;
  }
  if (port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the metrics address ", address.ToGrpcTarget()));
  }
  self->bound_address_ = ListenAddress{false, address.host, port, ""}.ToGrpcTarget();
  self->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return self;
}

void MetricsHttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

}  // namespace cascade
