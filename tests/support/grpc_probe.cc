#include "tests/support/grpc_probe.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_mapping.h"

namespace cascade::testing {

absl::StatusOr<HealthStatus> CheckGrpcHealth(const std::string& address, const std::string& service,
                                             std::chrono::milliseconds timeout) {
  return CheckGrpcHealth(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), service,
                         timeout);
}

absl::StatusOr<HealthStatus> CheckGrpcHealth(std::shared_ptr<grpc::Channel> channel,
                                             const std::string& service,
                                             std::chrono::milliseconds timeout) {
  grpc::GenericStub stub(std::move(channel));
  // HealthCheckRequest{service = 1 (string)}.
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::CompletionQueue queue;
  auto call =
      stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request_buffer, &queue);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response_buffer, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string response;
  for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (enum)}; empty means UNKNOWN (0).
  if (response.empty()) return HealthStatus::kUnknown;
  if (response.size() != 2 || response[0] != 0x08) {
    return absl::InternalError("unexpected HealthCheckResponse bytes");
  }
  return static_cast<HealthStatus>(response[1]);
}

absl::StatusOr<HttpReply> HttpGet(const std::string& address, const std::string& path) {
  httplib::Client client("http://" + address);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto result = client.Get(path);
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("GET ", address, path, ": ", httplib::to_string(result.error())));
  }
  return HttpReply{result->status, result->body};
}

}  // namespace cascade::testing
