#include "tools/cascadectl/cascade_client_commands.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cascade/v1/cascade.grpc.pb.h"
#include "tools/cascadectl/client_call.h"
#include "tools/cascadectl/command_args.h"
#include "tools/cascadectl/cost_planner.h"
#include "tools/cascadectl/dial.h"
#include "tools/common/request_line.h"

namespace cascade::cli {
namespace {

std::string StatusText(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

std::string Usd(int64_t pusd) { return absl::StrFormat("$%.6f", static_cast<double>(pusd) / 1e12); }

void PrintTrace(const v1::CascadeResponse& response, std::ostream& out, bool with_answer = true) {
  out << (with_answer ? response.answer() : "") << "\n\n";
  out << absl::StrFormat("%-10s %-18s %10s %-14s %-8s %9s %12s  %s\n", "TIER", "MODEL",
                         "CONFIDENCE", "METHOD", "ACCEPTED", "LATENCY", "COST", "ERROR");
  for (const v1::CascadeStep& step : response.steps()) {
    out << absl::StrFormat("%-10s %-18s %10.4f %-14s %-8s %8.0fms %12s  %s\n", step.tier(),
                           step.model(), step.confidence(), step.method(),
                           step.accepted() ? "yes" : "no", step.latency_seconds() * 1000,
                           Usd(step.cost_pusd()), step.error());
  }
  out << absl::StrFormat("final tier %s (%s), route %s%s\n", response.final_tier(),
                         response.model(), response.route().empty() ? "-" : response.route(),
                         response.stopped_reason().empty()
                             ? ""
                             : absl::StrCat(", stopped: ", response.stopped_reason()));
  out << absl::StrFormat("cost %s, baseline %s, saved %s\n", Usd(response.cost_pusd()),
                         Usd(response.baseline_cost_pusd()), Usd(response.savings_pusd()));
}

// StreamComplete: each delta goes to `live` (when set) as it arrives; `response` is the
// last chunk's, with the answer joined from the deltas.
grpc::Status StreamAsk(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
                       const v1::CascadeRequest& request, std::ostream* live,
                       v1::CascadeResponse& response) {
  auto reader = v1::Cascade::NewStub(channel)->StreamComplete(&context, request);
  v1::CascadeChunk chunk;
  std::string answer;
  bool has_final = false;
  while (reader->Read(&chunk)) {
    answer += chunk.text();
    if (live != nullptr && !chunk.text().empty()) *live << chunk.text() << std::flush;
    if (chunk.has_final()) {
      response = std::move(*chunk.mutable_final());
      has_final = true;
    }
  }
  grpc::Status status = reader->Finish();
  if (status.ok() && !has_final) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended without its last chunk");
  }
  response.set_answer(std::move(answer));
  return status;
}

double Percentile(std::vector<double> sorted, double quantile) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(quantile * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// grpc.health.v1.Health/Check with raw bytes (no health .proto in the build).
std::string CheckHealth(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds timeout) {
  grpc::GenericStub stub(std::move(channel));
  grpc::ByteBuffer request, response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::CompletionQueue queue;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &queue);
  call->StartCall();
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return StatusText(status);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  if (bytes == std::string("\x08\x01", 2)) return "SERVING";
  if (bytes == std::string("\x08\x02", 2)) return "NOT_SERVING";
  return "UNKNOWN";
}

}  // namespace

int RunAsk(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args,
      WithTlsValueFlags({"orchestrator", "policy", "system", "max-tokens", "route-hint",
                         "start-tier", "max-tier", "budget-usd", "tenant", "timeout-ms"}),
      WithTlsSwitches({"json", "stream", "help"}));
  if (!args.ok()) return UsageError(err, "ask", args.status().message(), kAskUsage);
  if (args->Has("help")) {
    out << kAskUsage;
    return 0;
  }
  if (args->positionals().size() != 1) {
    return UsageError(err, "ask", "give exactly one TEXT to ask (quote it)", kAskUsage);
  }
  absl::StatusOr<std::string> address = args->Required("orchestrator");
  if (!address.ok()) return UsageError(err, "ask", address.status().message(), kAskUsage);
  absl::StatusOr<std::chrono::milliseconds> timeout =
      TimeoutFromArgs(*args, std::chrono::milliseconds(60000));
  if (!timeout.ok()) return UsageError(err, "ask", timeout.status().message(), kAskUsage);

  v1::CascadeRequest request;
  request.set_policy(args->ValueOr("policy", ""));
  if (std::optional<std::string> system = args->Value("system")) {
    v1::ChatMessage* message = request.add_messages();
    message->set_role("system");
    message->set_content(*system);
  }
  v1::ChatMessage* message = request.add_messages();
  message->set_role("user");
  message->set_content(args->positionals().front());
  if (std::optional<std::string> max_tokens = args->Value("max-tokens")) {
    int value = 0;
    if (!absl::SimpleAtoi(*max_tokens, &value) || value <= 0) {
      return UsageError(err, "ask", "--max-tokens must be a positive integer", kAskUsage);
    }
    request.mutable_params()->set_max_tokens(value);
  }
  request.set_route_hint(args->ValueOr("route-hint", ""));
  request.set_start_tier(args->ValueOr("start-tier", ""));
  request.set_max_tier(args->ValueOr("max-tier", ""));
  request.set_tenant(args->ValueOr("tenant", ""));
  if (std::optional<std::string> budget = args->Value("budget-usd")) {
    absl::StatusOr<int64_t> micro = ParseMillionths(*budget);
    if (!micro.ok()) return UsageError(err, "ask", "--budget-usd must be a USD amount", kAskUsage);
    request.set_budget_pusd(*micro * 1'000'000);
  }

  auto channel = Dial(*args, *address);
  if (!channel.ok()) return UsageError(err, "ask", channel.status().message(), kAskUsage);
  v1::CascadeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + *timeout);
  const bool stream = args->Has("stream");
  // Streamed text goes straight out unless the whole response is printed as JSON.
  grpc::Status status =
      stream ? StreamAsk(*channel, context, request, args->Has("json") ? nullptr : &out, response)
             : v1::Cascade::NewStub(*channel)->Complete(&context, request, &response);
  if (!status.ok()) {
    if (stream && !args->Has("json")) out << "\n";
    err << "cascadectl ask: " << StatusText(status) << "\n";
    return 1;
  }
  if (args->Has("json")) {
    out << ProtoJson(response);
    return 0;
  }
  PrintTrace(response, out, /*with_answer=*/!stream);
  return 0;
}

int RunReplay(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args, WithTlsValueFlags({"orchestrator", "policy", "concurrency", "timeout-ms"}),
      WithTlsSwitches({"json", "help", "progress"}));
  if (!args.ok()) return UsageError(err, "replay", args.status().message(), kReplayUsage);
  if (args->Has("help")) {
    out << kReplayUsage;
    return 0;
  }
  if (args->positionals().size() != 1) {
    return UsageError(err, "replay", "give exactly one FILE.jsonl", kReplayUsage);
  }
  absl::StatusOr<std::string> address = args->Required("orchestrator");
  if (!address.ok()) return UsageError(err, "replay", address.status().message(), kReplayUsage);
  absl::StatusOr<std::chrono::milliseconds> timeout =
      TimeoutFromArgs(*args, std::chrono::milliseconds(60000));
  if (!timeout.ok()) return UsageError(err, "replay", timeout.status().message(), kReplayUsage);
  int concurrency = 4;
  if (std::optional<std::string> text = args->Value("concurrency")) {
    if (!absl::SimpleAtoi(*text, &concurrency) || concurrency <= 0 || concurrency > 256) {
      return UsageError(err, "replay", "--concurrency must be between 1 and 256", kReplayUsage);
    }
  }
  const std::string& path = args->positionals().front();
  std::ifstream file(path);
  if (!file) {
    err << "cascadectl replay: cannot read " << path << "\n";
    return 1;
  }
  std::vector<v1::CascadeRequest> requests;
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    absl::StatusOr<v1::CascadeRequest> request =
        tools::ParseRequestLine(line, args->ValueOr("policy", ""));
    if (!request.ok()) {
      err << "cascadectl replay: " << path << ":" << number << ": " << request.status().message()
          << "\n";
      return 2;
    }
    requests.push_back(*std::move(request));
  }

  auto channel = Dial(*args, *address);
  if (!channel.ok()) return UsageError(err, "replay", channel.status().message(), kReplayUsage);
  auto stub = v1::Cascade::NewStub(*channel);
  const bool progress = args->Has("progress") || isatty(STDERR_FILENO) == 1;
  std::mutex mu;
  std::map<std::string, int64_t> per_tier;
  std::map<std::string, int64_t> errors;
  std::vector<double> latencies;
  int64_t cost = 0, baseline = 0, done = 0;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < requests.size(); i = next++) {
      v1::CascadeResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + *timeout);
      const auto start = std::chrono::steady_clock::now();
      grpc::Status status = stub->Complete(&context, requests[i], &response);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::lock_guard<std::mutex> lock(mu);
      ++done;
      if (status.ok()) {
        ++per_tier[response.final_tier()];
        cost += response.cost_pusd();
        baseline += response.baseline_cost_pusd();
        latencies.push_back(seconds);
      } else {
        ++errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
      }
      if (progress) {
        const int width = 30;
        const int filled = static_cast<int>(width * done / static_cast<int64_t>(requests.size()));
        err << absl::StrFormat("\r[%s%s] %d/%d", std::string(filled, '#'),
                               std::string(width - filled, ' '), done, requests.size())
            << std::flush;
      }
    }
  };
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) threads.emplace_back(worker);
  for (std::thread& thread : threads) thread.join();
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (progress) err << "\n";

  std::sort(latencies.begin(), latencies.end());
  const int64_t answered = static_cast<int64_t>(latencies.size());
  int64_t failed = 0;
  for (const auto& [code, count] : errors) failed += count;
  if (args->Has("json")) {
    nlohmann::json tiers = nlohmann::json::object();
    for (const auto& [tier, count] : per_tier) {
      tiers[tier] = {{"requests", count},
                     {"share", answered ? static_cast<double>(count) / answered : 0.0}};
    }
    nlohmann::json json = {{"requests", requests.size()},
                           {"answered", answered},
                           {"errors", errors},
                           {"final_tiers", tiers},
                           {"cost_pusd", cost},
                           {"baseline_cost_pusd", baseline},
                           {"savings_pusd", baseline - cost},
                           {"saved_percent", SavedPercent(baseline, cost)},
                           {"wall_seconds", wall_seconds},
                           {"requests_per_second", static_cast<double>(done) / wall_seconds},
                           {"latency_seconds",
                            {{"p50", Percentile(latencies, 0.50)},
                             {"p90", Percentile(latencies, 0.90)},
                             {"p99", Percentile(latencies, 0.99)}}}};
    out << json.dump(2) << "\n";
  } else {
    out << absl::StrFormat("%d requests, %d answered, %d failed in %.2f s (%.0f requests/s)\n",
                           requests.size(), answered, failed, wall_seconds,
                           static_cast<double>(done) / wall_seconds);
    out << absl::StrFormat("%-16s %10s %8s\n", "FINAL TIER", "REQUESTS", "SHARE");
    for (const auto& [tier, count] : per_tier) {
      out << absl::StrFormat("%-16s %10d %7.1f%%\n", tier, count,
                             100.0 * static_cast<double>(count) / static_cast<double>(answered));
    }
    for (const auto& [code, count] : errors) {
      out << absl::StrFormat("error %-10s %10d\n", code, count);
    }
    out << absl::StrFormat("cost %s, baseline %s, saved %s (%.1f%%)\n", Usd(cost), Usd(baseline),
                           Usd(baseline - cost), SavedPercent(baseline, cost));
    out << absl::StrFormat("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n",
                           Percentile(latencies, 0.50) * 1000, Percentile(latencies, 0.90) * 1000,
                           Percentile(latencies, 0.99) * 1000);
  }
  return failed == 0 ? 0 : 1;
}

int RunHealth(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> services = {"orchestrator", "router", "judge", "inference",
                                             "tier-worker"};
  std::set<std::string> flags(services.begin(), services.end());
  flags.insert("timeout-ms");
  absl::StatusOr<CommandArgs> args =
      CommandArgs::Parse(raw_args, WithTlsValueFlags(flags), WithTlsSwitches({"json", "help"}));
  if (!args.ok()) return UsageError(err, "health", args.status().message(), kHealthUsage);
  if (args->Has("help")) {
    out << kHealthUsage;
    return 0;
  }
  if (!args->positionals().empty()) {
    return UsageError(err, "health", "takes no positional arguments", kHealthUsage);
  }
  absl::StatusOr<std::chrono::milliseconds> timeout =
      TimeoutFromArgs(*args, std::chrono::milliseconds(3000));
  if (!timeout.ok()) return UsageError(err, "health", timeout.status().message(), kHealthUsage);
  std::vector<std::pair<std::string, std::string>> targets;
  for (const std::string& service : services) {
    for (const std::string& value : args->Values(service)) {
      for (absl::string_view address : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        targets.emplace_back(service, std::string(address));
      }
    }
  }
  if (targets.empty()) {
    return UsageError(err, "health", "name at least one service address", kHealthUsage);
  }
  bool all_serving = true;
  nlohmann::json json = nlohmann::json::array();
  if (!args->Has("json")) {
    out << absl::StrFormat("%-14s %-28s %s\n", "SERVICE", "ADDRESS", "STATUS");
  }
  for (const auto& [service, address] : targets) {
    auto channel = Dial(*args, address);
    if (!channel.ok()) return UsageError(err, "health", channel.status().message(), kHealthUsage);
    const std::string status = CheckHealth(*channel, *timeout);
    all_serving = all_serving && status == "SERVING";
    if (args->Has("json")) {
      json.push_back({{"service", service}, {"address", address}, {"status", status}});
    } else {
      out << absl::StrFormat("%-14s %-28s %s\n", service, address, status);
    }
  }
  if (args->Has("json")) out << json.dump(2) << "\n";
  return all_serving ? 0 : 1;
}

}  // namespace cascade::cli
