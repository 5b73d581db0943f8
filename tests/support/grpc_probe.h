#pragma once

// Probes a server from outside as Kubernetes and clients would: grpc.health.v1 over gRPC
// (raw bytes, so no health .proto is needed) and HTTP GETs on the metrics port.

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cascade::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus values.
enum class HealthStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// Calls grpc.health.v1.Health/Check for `service` ("" = the whole server).
absl::StatusOr<HealthStatus> CheckGrpcHealth(
    const std::string& address, const std::string& service = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
// The same over `channel` (a TLS one, say).
absl::StatusOr<HealthStatus> CheckGrpcHealth(
    std::shared_ptr<grpc::Channel> channel, const std::string& service = "",
    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

struct HttpReply {
  int status = 0;
  std::string body;
};

// GET http://`address``path`; UNAVAILABLE when nothing answers.
absl::StatusOr<HttpReply> HttpGet(const std::string& address, const std::string& path);

}  // namespace cascade::testing
