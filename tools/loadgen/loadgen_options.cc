#include "tools/loadgen/loadgen_options.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/cascadectl/command_args.h"
#include "tools/cascadectl/dial.h"

namespace cascade::loadgen {

const char kLoadgenUsage[] = R"(usage: cascade-loadgen --target ADDR [options]

Open-loop load on the orchestrator: request i leaves at i / RATE seconds whether or not
earlier ones were answered; latency counts from that scheduled time. Prints a progress line
every second (stderr) and a final table (or --json) of achieved rate, latency percentiles
and outcomes by status code.

  --target ADDR        HOST:PORT or unix:PATH for gRPC (cascade.v1.Cascade/Complete);
                       http://HOST:PORT for the OpenAI front door (POST /v1/chat/completions)
  --rate R             requests per second (default 100; at most 100000)
  --duration D         how long to send: 30s, 2m, 500ms (default 10s; at most 24h)
  --concurrency N      most requests in flight (default 256); a request held back waits,
                       and its latency still counts from its scheduled time
  --timeout-ms MS      each request's deadline (default 10000)
  --prompts FILE       JSONL, one request a line: {"prompt": "..."} or {"messages": [...]},
                       optional "policy" and "max_tokens" (cascadectl replay's format);
                       used round robin. Default: one short built-in prompt
  --policy NAME        the cascade policy (the front door's "model") where a line names none
  --channels N         gRPC connections to spread calls over (default 4)
  --api-key-env VAR    send the key in environment variable VAR as a Bearer token (HTTP
                       header, or gRPC metadata `authorization`, which needs TLS)
  --tls                gRPC over TLS, trusting the system's roots
  --ca-file PEM        gRPC over TLS, trusting this CA bundle
  --cert-file PEM      with --key-file PEM: this client's certificate (mutual TLS)
  --server-name NAME   the name the server's certificate must carry, when ADDR does not
  --json               the final report as JSON on stdout
  --quiet              no progress lines
  --help               this text

Exit codes: 0 the run completed (errors are in the report), 1 it could not start, 2 usage.
)";

namespace {

absl::Status Invalid(const std::string& flag, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, " ", what));
}

absl::Status ParseInt(const cli::CommandArgs& args, const std::string& flag, int low, int high,
                      int* out) {
  auto value = args.Value(flag);
  if (!value) return absl::OkStatus();
  if (!absl::SimpleAtoi(*value, out) || *out < low || *out > high) {
    return Invalid(
        flag, absl::StrCat("must be an integer from ", low, " to ", high, ", not '", *value, "'"));
  }
  return absl::OkStatus();
}

absl::Status ParseTarget(const std::string& target, LoadgenOptions* options) {
  if (absl::StartsWith(target, "http://")) {
    std::string rest = target.substr(7);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t colon = rest.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port < 1 || port > 65535) {
      return Invalid("target", absl::StrCat("'", target, "' must be http://HOST:PORT"));
    }
    options->protocol = LoadgenOptions::Protocol::kHttp;
    options->http_host = rest.substr(0, colon);
    options->http_port = port;
    return absl::OkStatus();
  }
  if (absl::StartsWith(target, "https://")) {
    return Invalid("target", "https:// is not supported yet: use http:// or gRPC");
  }
  if (!absl::StartsWith(target, "unix:") && target.rfind(':') == std::string::npos) {
    return Invalid("target",
                   absl::StrCat("'", target, "' must be HOST:PORT, unix:PATH or http://HOST:PORT"));
  }
  options->protocol = LoadgenOptions::Protocol::kGrpc;
  options->grpc_address = target;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadgenOptions> ParseLoadgenOptions(const std::vector<std::string>& raw) {
  auto args = cli::CommandArgs::Parse(
      raw,
      cli::WithTlsValueFlags({"target", "rate", "duration", "concurrency", "timeout-ms", "prompts",
                              "policy", "channels", "api-key-env"}),
      cli::WithTlsSwitches({"json", "quiet", "help"}));
  if (!args.ok()) return args.status();
  LoadgenOptions options;
  if (args->Has("help")) {
    options.help = true;
    return options;
  }
  if (!args->positionals().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", args->positionals()[0], "'"));
  }
  auto target = args->Required("target");
  if (!target.ok()) return target.status();
  if (absl::Status status = ParseTarget(*target, &options); !status.ok()) return status;
  if (auto rate = args->Value("rate")) {
    if (!absl::SimpleAtod(*rate, &options.rate) || !(options.rate > 0) || options.rate > 100000) {
      return Invalid(
          "rate", absl::StrCat("must be a number above 0 and at most 100000, not '", *rate, "'"));
    }
  }
  if (auto duration = args->Value("duration")) {
    absl::Duration parsed;
    if (!absl::ParseDuration(*duration, &parsed) || parsed <= absl::ZeroDuration() ||
        parsed > absl::Hours(24)) {
      return Invalid("duration", absl::StrCat("must be a duration like 30s, 2m or 500ms, above "
                                              "0 and at most 24h, not '",
                                              *duration, "'"));
    }
    options.duration = absl::ToChronoMilliseconds(parsed);
  }
  int timeout_ms = static_cast<int>(options.timeout.count());
  absl::Status status = ParseInt(*args, "concurrency", 1, 100000, &options.concurrency);
  if (status.ok()) status = ParseInt(*args, "timeout-ms", 1, 3600000, &timeout_ms);
  if (status.ok()) status = ParseInt(*args, "channels", 1, 64, &options.channels);
  if (!status.ok()) return status;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  options.prompts_path = args->ValueOr("prompts", "");
  options.policy = args->ValueOr("policy", "");
  options.api_key_env = args->ValueOr("api-key-env", "");
  if (options.protocol == LoadgenOptions::Protocol::kGrpc) {
    options.grpc_client = cli::ClientConfigFromArgs(*args, options.grpc_address);
    if (!options.api_key_env.empty() && !options.grpc_client.has_tls()) {
      return Invalid("api-key-env",
                     "over gRPC needs TLS (--tls or --ca-file): a key sent in "
                     "plaintext is a leaked key");
    }
  } else if (cli::HasTlsFlags(*args)) {
    return Invalid("tls",
                   "and the certificate flags apply to gRPC targets (https:// is not "
                   "supported yet)");
  }
  options.json = args->Has("json");
  options.quiet = args->Has("quiet");
  return options;
}

}  // namespace cascade::loadgen
