#include "common/grpc_runtime/grpc_server_metrics.h"

#include <google/protobuf/descriptor.h>

#include <chrono>
#include <string>

#include "absl/strings/ascii.h"

namespace cascade {
namespace {

// "/cascade.v1.Router/Route" -> {"cascade.v1.Router", "Route"}.
std::pair<std::string, std::string> SplitMethod(const char* full_method) {
  std::string text = full_method ? full_method : "";
  if (!text.empty() && text[0] == '/') text.erase(0, 1);
  size_t slash = text.find('/');
  if (slash == std::string::npos) return {"unknown", text};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  int index = static_cast<int>(code);
  if (index < 0 || index > 16) return "UNKNOWN";
  return kNames[index];
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(grpc::experimental::ServerRpcInfo* info,
                     prometheus::Family<prometheus::Counter>& requests,
                     prometheus::Family<prometheus::Histogram>& duration)
      : requests_(requests), duration_(duration), start_(std::chrono::steady_clock::now()) {
    std::tie(service_, method_) = SplitMethod(info->method());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      requests_
          .Add(
              {{"service", service_}, {"method", method_}, {"code", CodeName(status.error_code())}})
          .Increment();
      duration_.Add({{"service", service_}, {"method", method_}}, LatencyBuckets())
          .Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
};

}  // namespace

GrpcServerMetricsInterceptorFactory::GrpcServerMetricsInterceptorFactory(
    prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("cascade_grpc_server_requests_total")
                    .Help("gRPC calls handled, by service, method and status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("cascade_grpc_server_request_duration_seconds")
                    .Help("Time from a call's arrival to its status, by service and method.")
                    .Register(registry)) {}

GrpcServerMetricsInterceptorFactory::RefusedCallRecorderFn
GrpcServerMetricsInterceptorFactory::RefusedCallRecorder() const {
  // Families live in the registry, which outlives the server.
  return [requests = &requests_](const std::string& method, grpc::StatusCode code) {
    auto [service, name] = SplitMethod(method.c_str());
    const auto* known =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(service + "." + name);
    if (known == nullptr) service = name = "unknown";
    requests->Add({{"service", service}, {"method", name}, {"code", CodeName(code)}}).Increment();
  };
}

grpc::experimental::Interceptor* GrpcServerMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info, requests_, duration_);
}

}  // namespace cascade
