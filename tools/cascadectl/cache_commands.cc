#include "tools/cascadectl/cache_commands.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cascade/v1/answer_cache.grpc.pb.h"
#include "tools/cascadectl/cache_fit_command.h"
#include "tools/cascadectl/client_call.h"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

struct Connection {
  std::unique_ptr<v1::AnswerCacheAdmin::Stub> stub;
  std::chrono::milliseconds timeout{10000};
};

// The flags both subcommands share; nullopt after printing a usage error.
std::optional<Connection> Connect(const CommandArgs& args, const std::string& command,
                                  const char* usage, std::ostream& err) {
  if (!args.positionals().empty()) {
    UsageError(err, command, absl::StrCat("unexpected argument '", args.positionals().front(), "'"),
               usage);
    return std::nullopt;
  }
  absl::StatusOr<ServerChannel> server =
      ConnectFromArgs(args, "orchestrator", Connection().timeout);
  if (!server.ok()) {
    UsageError(err, command, server.status().message(), usage);
    return std::nullopt;
  }
  return Connection{v1::AnswerCacheAdmin::NewStub(server->channel), server->timeout};
}

std::string Bytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  if (bytes < (int64_t{1} << 20)) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  if (bytes < (int64_t{1} << 30)) return absl::StrFormat("%.1f MiB", bytes / 1048576.0);
  return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
}

std::string HitRate(const v1::AnswerCacheCounters& counters) {
  const int64_t hits = counters.exact_hits() + counters.semantic_hits();
  const int64_t lookups = hits + counters.misses();
  if (lookups == 0) return "-";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(hits) / lookups);
}

void PrintRow(const std::string& policy, const std::string& cache,
              const v1::AnswerCacheCounters& counters, std::ostream& out) {
  out << absl::StrFormat("%-16s %-5s %8d %10s %8d %8d %8d %8s %8d %8d %8d %8d\n", policy, cache,
                         counters.entries(), Bytes(counters.bytes()), counters.exact_hits(),
                         counters.semantic_hits(), counters.misses(), HitRate(counters),
                         counters.inserts(), counters.evictions(), counters.expirations(),
                         counters.purged());
}

void PrintStats(const v1::AnswerCacheStatsResponse& stats, const CommandArgs& args,
                std::ostream& out) {
  if (std::optional<std::string> tenant = args.Value("tenant")) {
    out << "tenant " << (tenant->empty() ? "\"\" (requests that named none)" : *tenant) << "\n";
  }
  out << absl::StrFormat("%-16s %-5s %8s %10s %8s %8s %8s %8s %8s %8s %8s %8s\n", "POLICY", "CACHE",
                         "ENTRIES", "MEMORY", "EXACT", "SEMANTIC", "MISSES", "HIT RATE", "KEPT",
                         "EVICTED", "EXPIRED", "PURGED");
  for (const v1::PolicyAnswerCacheStats& policy : stats.policies()) {
    PrintRow(policy.policy(), policy.enabled() ? "on" : "off", policy.counters(), out);
  }
  if (stats.policies_size() > 1) PrintRow("total", "", stats.total(), out);
  std::vector<std::string> rejections;
  for (const auto& [guard, count] : stats.total().rejections()) {
    rejections.push_back(absl::StrCat(guard, " ", count));
  }
  std::sort(rejections.begin(), rejections.end());
  out << "semantic candidates refused: "
      << (rejections.empty() ? "none" : absl::StrJoin(rejections, ", ")) << "\n";
}

int RunStats(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  const std::string command = "cache stats";
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args, WithTlsValueFlags({"orchestrator", "policy", "tenant", "timeout-ms"}),
      WithTlsSwitches({"json", "help"}));
  if (!args.ok()) return UsageError(err, command, args.status().message(), kCacheStatsUsage);
  if (args->Has("help")) {
    out << kCacheStatsUsage;
    return 0;
  }
  std::optional<Connection> connection = Connect(*args, command, kCacheStatsUsage, err);
  if (!connection) return 2;

  v1::AnswerCacheStatsRequest request;
  if (std::optional<std::string> policy = args->Value("policy")) request.set_policy(*policy);
  if (std::optional<std::string> tenant = args->Value("tenant")) request.set_tenant(*tenant);
  v1::AnswerCacheStatsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + connection->timeout);
  grpc::Status status = connection->stub->Stats(&context, request, &response);
  if (!status.ok()) return CallFailed(err, command, status);
  if (args->Has("json")) {
    out << ProtoJson(response);
    return 0;
  }
  PrintStats(response, *args, out);
  return 0;
}

int RunPurge(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  const std::string command = "cache purge";
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args, WithTlsValueFlags({"orchestrator", "policy", "tenant", "older-than", "timeout-ms"}),
      WithTlsSwitches({"all", "json", "help"}));
  if (!args.ok()) return UsageError(err, command, args.status().message(), kCachePurgeUsage);
  if (args->Has("help")) {
    out << kCachePurgeUsage;
    return 0;
  }
  const bool filtered = args->Has("policy") || args->Has("tenant") || args->Has("older-than");
  if (!filtered && !args->Has("all")) {
    return UsageError(err, command,
                      "say what to remove: --policy, --tenant, --older-than, or --all for every "
                      "answer",
                      kCachePurgeUsage);
  }
  if (filtered && args->Has("all")) {
    return UsageError(err, command,
                      "--all removes every answer and takes no filter: drop --all or the "
                      "filters",
                      kCachePurgeUsage);
  }
  v1::AnswerCachePurgeRequest request;
  if (std::optional<std::string> text = args->Value("older-than")) {
    absl::Duration older_than;
    if (!absl::ParseDuration(*text, &older_than) || older_than <= absl::ZeroDuration() ||
        older_than == absl::InfiniteDuration()) {
      return UsageError(err, command,
                        absl::StrCat("--older-than must be a duration > 0 such as 90s, 30m, 2h "
                                     "or 1h30m, got '",
                                     *text, "'"),
                        kCachePurgeUsage);
    }
    const int64_t seconds = absl::IDivDuration(older_than, absl::Seconds(1), &older_than);
    request.mutable_older_than()->set_seconds(seconds);
    request.mutable_older_than()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(older_than)));
  }
  std::optional<Connection> connection = Connect(*args, command, kCachePurgeUsage, err);
  if (!connection) return 2;
  if (std::optional<std::string> policy = args->Value("policy")) request.set_policy(*policy);
  if (std::optional<std::string> tenant = args->Value("tenant")) request.set_tenant(*tenant);
  request.set_all(args->Has("all"));

  v1::AnswerCachePurgeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + connection->timeout);
  grpc::Status status = connection->stub->Purge(&context, request, &response);
  if (!status.ok()) return CallFailed(err, command, status);
  if (args->Has("json")) {
    out << ProtoJson(response);
    return 0;
  }
  std::vector<std::string> per_policy;
  for (const auto& [policy, removed] : response.removed_by_policy()) {
    per_policy.push_back(absl::StrCat(policy, " ", removed));
  }
  std::sort(per_policy.begin(), per_policy.end());
  out << "removed " << response.removed() << (response.removed() == 1 ? " answer" : " answers");
  if (!per_policy.empty()) out << " (" << absl::StrJoin(per_policy, ", ") << ")";
  out << "\n";
  return 0;
}

}  // namespace

int RunCache(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << "cascadectl cache: needs a subcommand: stats, purge or fit\n\n" << kCacheUsage;
    return 2;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "stats") return RunStats(rest, out, err);
  if (args[0] == "purge") return RunPurge(rest, out, err);
  if (args[0] == "fit") return RunCacheFit(rest, out, err);
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kCacheUsage;
    return 0;
  }
  err << "cascadectl cache: unknown subcommand '" << args[0] << "' (stats, purge or fit)\n\n"
      << kCacheUsage;
  return 2;
}

}  // namespace cascade::cli
