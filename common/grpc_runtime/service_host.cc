#include "common/grpc_runtime/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/gauge.h>

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_runtime/grpc_server_metrics.h"
#include "common/log/logger.h"
#include "common/version.h"

namespace cascade {
namespace {

int ClampToInt(int64_t value) {
  return static_cast<int>(std::min<int64_t>(value, std::numeric_limits<int>::max()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceHost>> ServiceHost::Start(ServiceHostOptions options) {
  std::unique_ptr<ServiceHost> host(new ServiceHost());
  host->options_ = std::move(options);
  ServiceHostOptions& opts = host->options_;
  if (!opts.registry) opts.registry = std::make_shared<prometheus::Registry>();

  prometheus::BuildGauge()
      .Name("cascade_build_info")
      .Help("Always 1; labels say which service and version run.")
      .Register(*opts.registry)
      .Add({{"service", opts.service_name}, {"version", kCascadeVersion}})
      .Set(1);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto metrics_interceptor = std::make_unique<GrpcServerMetricsInterceptorFactory>(*opts.registry);
  // A call refused for its API key never reaches a handler (or the interceptor): count and
  // log it here. The log line names the method and the reason, never the key.
  auto on_rejected = [recorder = metrics_interceptor->RefusedCallRecorder()](
                         const std::string& method, const char* reason) {
    recorder(method, grpc::StatusCode::UNAUTHENTICATED);
    LogWarn("grpc_unauthenticated", {{"method", method}, {"reason", reason}});
  };
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(opts.grpc_address.ToGrpcTarget(),
                           MakeServerCredentials(opts.security, on_rejected), &selected_port);
  builder.SetMaxReceiveMessageSize(opts.max_receive_message_bytes);
  if (opts.max_connection_age.count() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               ClampToInt(opts.max_connection_age.count()));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               ClampToInt(opts.max_connection_age_grace.count()));
  }
  for (grpc::Service* service : opts.services) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::move(metrics_interceptor));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  host->server_ = builder.BuildAndStart();
  if (!host->server_ || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the gRPC address ", opts.grpc_address.ToGrpcTarget()));
  }
  if (opts.grpc_address.is_unix) {
    host->grpc_address_ = opts.grpc_address.ToGrpcTarget();
  } else {
    ListenAddress bound = opts.grpc_address;
    bound.port = selected_port;
    host->grpc_address_ = bound.ToGrpcTarget();
  }

  ServiceHost* raw = host.get();
  auto metrics = MetricsHttpServer::Start(
      {opts.metrics_address, opts.registry, [raw] { return raw->ready(); }});
  if (!metrics.ok()) {
    host->server_->Shutdown(std::chrono::system_clock::now());
    return metrics.status();
  }
  host->metrics_ = *std::move(metrics);
  return host;
}

void ServiceHost::BeginDrain() {
  if (!ready_.exchange(false)) return;
  // Every service, and the whole server (""), reports NOT_SERVING from now on.
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
}

void ServiceHost::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (shut_down_.exchange(true)) return;
  BeginDrain();
  server_->Shutdown(deadline);
  server_->Wait();
  metrics_->Stop();
}

ServiceHost::~ServiceHost() {
  if (server_ && metrics_) Shutdown(std::chrono::system_clock::now());
}

}  // namespace cascade
