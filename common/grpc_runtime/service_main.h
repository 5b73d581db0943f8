#pragma once

// The whole life of a server process, shared by every cascade-* server binary:
// flags -> config (file, then flags) -> build the services -> serve -> drain on SIGTERM or
// SIGINT -> exit 0. A binary's main() only names its config type and builds its services.

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/server_flags.h"

namespace cascade {

// A listener beside gRPC that takes part in the drain (the orchestrator's HTTP front door).
class DrainableListener {
 public:
  virtual ~DrainableListener() = default;
  virtual const std::string& address() const = 0;
  // Readiness fails; requests are still served.
  virtual void BeginDrain() = 0;
  // No new requests; in-flight ones finish until `deadline`.
  virtual void Shutdown(std::chrono::system_clock::time_point deadline) = 0;
};

// What the binary gets to build its services with.
struct ServiceEnvironment {
  std::shared_ptr<prometheus::Registry> registry;
  // Set when the binary takes --http-listen.
  ListenAddress http_address;
};

// What the binary builds from its config.
struct ServiceParts {
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<DrainableListener> http;  // Optional.
  // Anything that must outlive the services (engines, clients, ...).
  std::vector<std::shared_ptr<void>> keep_alive;
};

struct ServerProgram {
  std::string service_name;  // "router": logs and build_info.
  ServerFlagSpec flags;
  // `config` is the parsed config message (of flags.config_type).
  std::function<absl::StatusOr<ServiceParts>(const google::protobuf::Message& config,
                                             const ServiceEnvironment& env)>
      build;
};

// Runs the program with `config` as the message to fill (its field `server` must be a
// cascade.v1.ServerConfig). Returns the process exit code.
int RunServerProgram(int argc, char** argv, const ServerProgram& program,
                     google::protobuf::Message* config);

// Typed convenience: ServiceMain<cascade::v1::RouterConfig>(argc, argv, spec, build).
template <typename ConfigT>
int ServiceMain(
    int argc, char** argv, std::string service_name, ServerFlagSpec flags,
    std::function<absl::StatusOr<ServiceParts>(const ConfigT&, const ServiceEnvironment&)> build) {
  ConfigT config;
  flags.config_type = ConfigT::descriptor()->full_name();
  ServerProgram program{
      std::move(service_name), std::move(flags),
      [build](const google::protobuf::Message& message, const ServiceEnvironment& env) {
        return build(static_cast<const ConfigT&>(message), env);
      }};
  return RunServerProgram(argc, argv, program, &config);
}

}  // namespace cascade
