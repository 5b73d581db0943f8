#pragma once

// Cascade.Complete over gRPC with the callback API: no thread per request, so one process
// can hold thousands of calls in flight.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/cascade.grpc.pb.h"
#include "cascade/v1/config.pb.h"
#include "tools/loadgen/load_target.h"

namespace cascade::loadgen {

class GrpcCascadeTarget final : public LoadTarget {
 public:
  // `channels` connections (HTTP/2 multiplexes calls on each), used round robin.
  GrpcCascadeTarget(const std::string& address, int channels);
  // The same with TLS and an API key as `client` says; INVALID_ARGUMENT naming the flag.
  static absl::StatusOr<std::unique_ptr<GrpcCascadeTarget>> Create(const v1::ClientConfig& client,
                                                                   int channels);

  void Send(const v1::CascadeRequest& request, std::chrono::milliseconds timeout,
            std::function<void(CallOutcome)> done) override;
  std::string Describe() const override;

 private:
  explicit GrpcCascadeTarget(std::string address) : address_(std::move(address)) {}

  std::string address_;
  std::vector<std::unique_ptr<v1::Cascade::Stub>> stubs_;
  std::atomic<size_t> next_{0};
};

// "OK", "UNAVAILABLE", ...: the names the report and --json use.
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace cascade::loadgen
