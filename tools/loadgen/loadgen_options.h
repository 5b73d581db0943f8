#pragma once

// cascade-loadgen's command line, checked: a misspelled flag or a value out of range is a
// usage error that names the flag and what it accepts.

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"

namespace cascade::loadgen {

struct LoadgenOptions {
  enum class Protocol { kGrpc, kHttp };
  Protocol protocol = Protocol::kGrpc;
  std::string grpc_address;  // HOST:PORT or unix:PATH.
  // The gRPC connection: address, TLS and API key (--tls, --ca-file, ..., --api-key-env).
  v1::ClientConfig grpc_client;
  std::string http_host;
  int http_port = 0;
  double rate = 100;
  std::chrono::milliseconds duration{10000};
  int concurrency = 256;
  std::chrono::milliseconds timeout{10000};
  int channels = 4;
  std::string prompts_path;  // Empty: one built-in prompt.
  std::string policy;
  std::string api_key_env;  // HTTP: the Bearer key's variable.
  bool json = false;
  bool quiet = false;
  bool help = false;
};

absl::StatusOr<LoadgenOptions> ParseLoadgenOptions(const std::vector<std::string>& args);

extern const char kLoadgenUsage[];

}  // namespace cascade::loadgen
