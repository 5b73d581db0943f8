#pragma once

// The flags every Cascade server takes (docs/architecture.md): --config FILE,
// --grpc-listen ADDR, --metrics-listen ADDR, --http-listen ADDR (orchestrator only),
// --log-level LEVEL, --help, --version. Both "--flag value" and "--flag=value" work.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade {

struct ServerFlagSpec {
  std::string binary;   // "cascade-router"
  std::string summary;  // One paragraph for --help.
  bool has_http_listen = false;
  // The config message's full name, for --help; ServiceMain fills it in.
  std::string config_type = {};
};

struct ServerFlags {
  bool help = false;
  bool version = false;
  std::optional<std::string> config_path;
  std::optional<std::string> grpc_listen;
  std::optional<std::string> metrics_listen;
  std::optional<std::string> http_listen;
  std::optional<std::string> log_level;
};

// INVALID_ARGUMENT naming the flag for an unknown flag, a missing value or a stray
// argument.
absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args,
                                             const ServerFlagSpec& spec);

std::string ServerUsage(const ServerFlagSpec& spec);

}  // namespace cascade
