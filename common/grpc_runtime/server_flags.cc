#include "common/grpc_runtime/server_flags.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cascade {

absl::StatusOr<ServerFlags> ParseServerFlags(const std::vector<std::string>& args,
                                             const ServerFlagSpec& spec) {
  ServerFlags flags;
  struct ValueFlag {
    const char* name;
    std::optional<std::string>* target;
  };
  std::vector<ValueFlag> value_flags = {{"--config", &flags.config_path},
                                        {"--grpc-listen", &flags.grpc_listen},
                                        {"--metrics-listen", &flags.metrics_listen},
                                        {"--log-level", &flags.log_level}};
  if (spec.has_http_listen) value_flags.push_back({"--http-listen", &flags.http_listen});

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    if (arg == "--version") {
      flags.version = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    bool matched = false;
    for (const ValueFlag& flag : value_flags) {
      if (name != flag.name) continue;
      matched = true;
      if (inline_value) {
        *flag.target = *inline_value;
      } else if (i + 1 < args.size()) {
        *flag.target = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(flag.name, " needs a value"));
      }
    }
    if (!matched) {
      return absl::InvalidArgumentError(absl::StartsWith(arg, "-")
                                            ? absl::StrCat("unknown flag ", name)
                                            : absl::StrCat("unexpected argument '", arg, "'"));
    }
  }
  return flags;
}

std::string ServerUsage(const ServerFlagSpec& spec) {
  std::string usage = absl::StrCat("Usage: ", spec.binary, " [flags]\n\n", spec.summary, "\n\n",
                                   "Flags (flags override the config file, which overrides "
                                   "defaults):\n");
  absl::StrAppend(
      &usage, "  --config FILE          YAML config, a ", spec.config_type,
      " message.\n"
      "                         Without it, built-in defaults for local use. Unknown keys\n"
      "                         and wrong types are errors naming the line.\n",
      "  --grpc-listen ADDR     gRPC address: HOST:PORT (port 0 picks one) or unix:PATH.\n"
      "                         Default 127.0.0.1:0.\n",
      "  --metrics-listen ADDR  HTTP address of /metrics, /healthz and /readyz. Default\n"
      "                         127.0.0.1:0.\n");
  if (spec.has_http_listen) {
    absl::StrAppend(&usage,
                    "  --http-listen ADDR     OpenAI-compatible front door (HTTP). Default "
                    "127.0.0.1:0.\n");
  }
  absl::StrAppend(
      &usage,
      "  --log-level LEVEL      debug, info, warn or error. Default info.\n"
      "  --help                 Show this text.\n"
      "  --version              Print the version.\n\n"
      "The first log line (JSON, stderr) is {\"event\":\"listening\",...} with the bound\n"
      "addresses. SIGTERM drains: readiness fails at once, calls are served for\n"
      "server.drain_delay (default 5s), then in-flight calls get server.drain_grace\n"
      "(default 10s) to finish, and the process exits 0. Client connections are closed\n"
      "after server.max_connection_age (default 5m) so balancing clients re-resolve.\n");
  return usage;
}

}  // namespace cascade
