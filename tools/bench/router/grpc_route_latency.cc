// cascade-router-grpc-latency: Route() over gRPC on loopback with all 15,000 CLINC150 train
// exemplars loaded, open loop at steady rates (the goal: p99 <= 2 ms and >= 5,000
// decisions/s on 2 cores).
//
// Open loop: requests leave on a fixed schedule whether or not earlier ones have been
// answered, and latency counts from the scheduled send time, so a server that falls
// behind shows it in the tail instead of slowing the client down (no coordinated
// omission). The server is the router's real adapter on the common service host (gRPC
// callback API, per-method metrics, health), in this process; or pass --router=ADDR to
// measure a running cascade-router.
//
//   cascade-router-grpc-latency [--rates=1000,2500,5000] [--seconds=5] [--router=ADDR]
//                               [--data=PATH]

#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cascade/v1/router.grpc.pb.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/service_host.h"
#include "services/router/lib/labeled_queries.h"
#include "services/router/route_updater.h"
#include "services/router/router_metrics.h"
#include "services/router/router_options.h"
#include "services/router/router_service.h"
#include "tools/bench/router/clinc150.h"

namespace cascade::router::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One request in flight; deleted by its callback, so that memory is reused instead of
// growing (fresh pages would charge page faults to every call).
struct Call {
  grpc::ClientContext context;
  cascade::v1::RouteRequest request;
  cascade::v1::RouteDecision decision;
  Clock::time_point scheduled;
  double* latency_us = nullptr;  // Where the answer's latency goes; stays < 0 on error.
};

struct RunResult {
  double target_rate = 0.0;
  double achieved_rate = 0.0;
  size_t sent = 0;
  size_t errors = 0;
  double cpu_us_per_decision = 0.0;  // Client and server together.
  std::vector<double> latencies_us;  // Sorted.
};

// CPU time of the whole process (server and client threads): what a decision costs without
// the time other processes held the cores, so that a shared machine still gives a clean
// number beside wall-clock latency.
double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0.0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(fraction * sorted.size()))];
}

// Sends `rate` requests per second for `seconds` and waits for every answer.
RunResult RunAtRate(cascade::v1::Router::Stub& stub, const std::vector<std::string>& texts,
                    double rate, double seconds) {
  const size_t count = static_cast<size_t>(rate * seconds);
  std::vector<double> latencies_us(count, -1.0);
  std::atomic<size_t> finished{0};
  std::atomic<int64_t> last_done_ns{0};
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const double cpu_start = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(10);
  for (size_t i = 0; i < count; ++i) {
    auto* call = new Call;
    call->request.set_query(texts[i % texts.size()]);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->latency_us = &latencies_us[i];
    call->scheduled =
        start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
    std::this_thread::sleep_until(call->scheduled);
    stub.async()->Route(
        &call->context, &call->request, &call->decision,
        [call, &finished, &last_done_ns](grpc::Status status) {
          const Clock::time_point done = Clock::now();
          if (status.ok()) {
            *call->latency_us =
                std::chrono::duration<double, std::micro>(done - call->scheduled).count();
          }
          delete call;
          last_done_ns.store(done.time_since_epoch().count());
          finished.fetch_add(1);
        });
  }
  while (finished.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  RunResult result;
  result.cpu_us_per_decision = (ProcessCpuSeconds() - cpu_start) * 1e6 / static_cast<double>(count);
  result.target_rate = rate;
  result.sent = count;
  for (double latency : latencies_us) {
    if (latency >= 0.0) {
      result.latencies_us.push_back(latency);
    } else {
      ++result.errors;
    }
  }
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  const double elapsed =
      std::chrono::duration<double>(Clock::time_point(Clock::duration(last_done_ns.load())) - start)
          .count();
  result.achieved_rate = static_cast<double>(result.latencies_us.size()) / elapsed;
  return result;
}

struct LocalServer {
  std::shared_ptr<Router> router;
  std::unique_ptr<RouterService> service;
  std::unique_ptr<ServiceHost> host;
};

absl::StatusOr<LocalServer> StartLocalServer(const Clinc150& data) {
  absl::StatusOr<RouterOptions> options = RouterOptionsFromConfig(cascade::v1::RouterConfig{});
  if (!options.ok()) return options.status();
  const auto build_start = Clock::now();
  absl::StatusOr<std::unique_ptr<Router>> router =
      Router::Create(RouteSetFromLabeledQueries(data.train), *options);
  if (!router.ok()) return router.status();
  LocalServer server;
  server.router = *std::move(router);
  const auto snapshot = server.router->Snapshot();
  std::printf("index: %zu exemplars, %zu routes, %s, scorer %s, built in %.2f s\n",
              snapshot->exemplars(), snapshot->routes().routes.size(),
              snapshot->uses_hnsw() ? "HNSW" : "flat", snapshot->scorer_name().c_str(),
              std::chrono::duration<double>(Clock::now() - build_start).count());
  auto registry = std::make_shared<prometheus::Registry>();
  auto metrics = std::make_shared<RouterMetrics>(registry);
  auto updater = std::make_shared<RouteUpdater>(server.router, metrics, "");
  std::shared_ptr<OutcomeStore> outcomes = *OutcomeStore::Create({});
  server.service = std::make_unique<RouterService>(server.router, updater, outcomes, metrics);
  absl::StatusOr<ListenAddress> grpc_address = ParseListenAddress("127.0.0.1:0", "grpc");
  absl::StatusOr<ListenAddress> metrics_address = ParseListenAddress("127.0.0.1:0", "metrics");
  if (!grpc_address.ok()) return grpc_address.status();
  if (!metrics_address.ok()) return metrics_address.status();
  ServiceHostOptions host_options{"router", *grpc_address, *metrics_address, 4 << 20, {}, registry,
                                  {}};
  host_options.services.push_back(server.service.get());
  absl::StatusOr<std::unique_ptr<ServiceHost>> host = ServiceHost::Start(std::move(host_options));
  if (!host.ok()) return host.status();
  server.host = *std::move(host);
  return server;
}

int Run(const std::vector<double>& rates, double seconds, const std::string& router_address,
        const std::string& data_path) {
  absl::StatusOr<Clinc150> data = LoadClinc150(data_path);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  LocalServer local;
  std::string address = router_address;
  if (address.empty()) {
    absl::StatusOr<LocalServer> started = StartLocalServer(*data);
    if (!started.ok()) {
      std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
      return 1;
    }
    local = *std::move(started);
    address = local.host->grpc_address();
  }
  std::vector<std::string> texts;
  for (const auto* split : {&data->test, &data->oos_test}) {
    for (const LabeledQuery& query : *split) texts.push_back(query.text);
  }
  auto stub = cascade::v1::Router::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  RunAtRate(*stub, texts, 500, 1.0);  // Warm up: connection, caches, lazy allocations.

  std::printf(
      "\nRoute() over gRPC on loopback (%s), open loop, %.0f s per rate, microseconds "
      "from scheduled send to answer:\n",
      router_address.empty() ? "in-process server" : address.c_str(), seconds);
  std::printf("%10s %12s %8s %8s %8s %8s %8s %8s %12s\n", "target/s", "achieved/s", "p50", "p90",
              "p99", "p99.9", "max", "errors", "cpu us/call");
  for (double rate : rates) {
    RunResult result = RunAtRate(*stub, texts, rate, seconds);
    const auto& l = result.latencies_us;
    std::printf("%10.0f %12.0f %8.0f %8.0f %8.0f %8.0f %8.0f %8zu %14.0f\n", result.target_rate,
                result.achieved_rate, Percentile(l, 0.5), Percentile(l, 0.9), Percentile(l, 0.99),
                Percentile(l, 0.999), l.empty() ? 0.0 : l.back(), result.errors,
                result.cpu_us_per_decision);
    std::fflush(stdout);
  }
  if (local.host) local.host->Shutdown(std::chrono::system_clock::now());
  return 0;
}

}  // namespace
}  // namespace cascade::router::bench

int main(int argc, char** argv) {
  // As in cascade-router: see services/router/main.cc.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<double> rates = {1000, 2500, 5000};
  double seconds = 5.0;
  std::string router, data = cascade::router::bench::DefaultClinc150Path();
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    const std::string arg = argv[i];
    const std::string value = arg.substr(arg.find('=') + 1);
    if (arg.rfind("--rates=", 0) == 0) {
      rates.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        double rate = 0;
        ok = ok && absl::SimpleAtod(part, &rate) && rate > 0;
        rates.push_back(rate);
      }
    } else if (arg.rfind("--seconds=", 0) == 0) {
      ok = absl::SimpleAtod(value, &seconds) && seconds > 0;
    } else if (arg.rfind("--router=", 0) == 0) {
      router = value;
    } else if (arg.rfind("--data=", 0) == 0) {
      data = value;
    } else {
      ok = false;
    }
  }
  if (!ok) {
    std::fprintf(stderr,
                 "usage: %s [--rates=R1,R2,...] [--seconds=S] [--router=ADDR] [--data=PATH]\n",
                 argv[0]);
    return 2;
  }
  return cascade::router::bench::Run(rates, seconds, router, data);
}
