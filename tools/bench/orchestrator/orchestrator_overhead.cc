// cascade-orchestrator-overhead: what the orchestrator adds to a tier call. Open loop at
// steady rates (the goal: p50 <= 1 ms and p99 <= 5 ms added at 1,000 requests/s on
// 2 cores), three paths over gRPC on loopback, all in this process:
//   direct     client -> tier (a trivial TierWorker that answers at once)
//   cascade    client -> orchestrator -> tier   (one-tier policy, no routing)
//   checked    client -> orchestrator -> tier   (two-tier policy; the first tier's answer
//                                                passes a logprob check and is accepted)
//   logged     as cascade, through a second orchestrator that writes a decision log
//              (to a temporary file, include_prompt off): what the log costs a request
// The orchestrator is the real one (Orchestrator, CascadeService, GrpcTierClient on the
// common service host). Open loop: requests leave on schedule whether or not earlier ones
// have been answered, and latency counts from the scheduled send time (no coordinated
// omission). "added" = the cascade path's percentile minus the direct path's.
//
//   cascade-orchestrator-overhead [--rates=200,1000] [--seconds=5]

#include <grpcpp/grpcpp.h>
#include <prometheus/registry.h>
#include <unistd.h>

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
#include "cascade/v1/cascade.grpc.pb.h"
#include "cascade/v1/tier.grpc.pb.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/service_host.h"
#include "common/log/logger.h"
#include "services/orchestrator/cascade_metrics.h"
#include "services/orchestrator/cascade_service.h"
#include "services/orchestrator/grpc_clients.h"
#include "services/orchestrator/lib/orchestrator.h"

namespace cascade::orchestrator::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A tier that answers at once: what is left is gRPC and the orchestrator itself.
class TrivialTier final : public v1::TierWorker::CallbackService {
 public:
  TrivialTier() {
    answer_.set_text("a short answer");
    answer_.set_tier("bench");
    answer_.set_upstream_model("trivial");
    answer_.set_finish_reason(v1::FINISH_REASON_STOP);
    for (int i = 0; i < 4; ++i) {
      auto* token = answer_.add_logprobs();
      token->set_token("t");
      token->set_logprob(-0.1);
    }
    answer_.mutable_usage()->set_prompt_tokens(12);
    answer_.mutable_usage()->set_completion_tokens(4);
    answer_.set_cost_pusd(12 * 100000 + 4 * 400000);
  }
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const v1::CompleteRequest*,
                                     v1::CompleteResponse* response) override {
    *response = answer_;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const v1::DescribeRequest*,
                                     v1::DescribeResponse* response) override {
    response->set_tier("bench");
    response->set_model("trivial");
    response->set_input_price_uusd_per_mtok(100000);
    response->set_output_price_uusd_per_mtok(400000);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  v1::CompleteResponse answer_;
};

absl::StatusOr<std::unique_ptr<ServiceHost>> Host(const std::string& name, grpc::Service* service) {
  auto grpc_address = ParseListenAddress("127.0.0.1:0", "grpc");
  auto metrics_address = ParseListenAddress("127.0.0.1:0", "metrics");
  if (!grpc_address.ok()) return grpc_address.status();
  if (!metrics_address.ok()) return metrics_address.status();
  ServiceHostOptions options{
      name, *grpc_address, *metrics_address, 4 << 20, {}, std::make_shared<prometheus::Registry>(),
      {}};
  options.services.push_back(service);
  return ServiceHost::Start(std::move(options));
}

OrchestratorSettings BenchSettings(const std::string& tier_address) {
  OrchestratorSettings settings;
  settings.tiers = {{"a", tier_address, std::nullopt}, {"b", tier_address, std::nullopt}};
  PolicySettings direct;
  direct.name = "cascade";
  direct.routing = false;
  direct.tiers = {{"a", AcceptanceRule()}};
  PolicySettings checked;
  checked.name = "checked";
  checked.routing = false;
  AcceptanceRule rule;
  rule.logprob = *LogprobConfidence::Parse("p10");
  rule.logprob_min = -1.0;
  checked.tiers = {{"a", rule}, {"b", AcceptanceRule()}};
  settings.policies = {direct, checked};
  return settings;
}

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0.0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(fraction * sorted.size()))];
}

struct Result {
  std::vector<double> latencies_us;  // Sorted.
  size_t errors = 0;
};

// Open loop: `send(i, done)` starts request i; `done(ok)` ends it.
template <typename Send>
Result RunAtRate(double rate, double seconds, Send send) {
  const size_t count = static_cast<size_t>(rate * seconds);
  std::vector<double> latencies(count, -1.0);
  std::atomic<size_t> finished{0};
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(10);
  for (size_t i = 0; i < count; ++i) {
    Clock::time_point scheduled =
        start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
    std::this_thread::sleep_until(scheduled);
    send([&latencies, &finished, i, scheduled](bool ok) {
      if (ok) {
        latencies[i] = std::chrono::duration<double, std::micro>(Clock::now() - scheduled).count();
      }
      finished.fetch_add(1);
    });
  }
  while (finished.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Result result;
  for (double latency : latencies) {
    if (latency >= 0) {
      result.latencies_us.push_back(latency);
    } else {
      ++result.errors;
    }
  }
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  return result;
}

template <typename Request, typename Response>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
};

v1::CompleteRequest TierRequest() {
  v1::CompleteRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content("What is the capital of France?");
  request.mutable_params()->set_max_tokens(16);
  return request;
}

v1::CascadeRequest CascadeRequestFor(const std::string& policy) {
  v1::CascadeRequest request;
  *request.mutable_messages() = TierRequest().messages();
  *request.mutable_params() = TierRequest().params();
  request.set_policy(policy);
  return request;
}

int Run(const std::vector<double>& rates, double seconds) {
  // Only warnings: a log line per request would measure the terminal.
  Logger::Configure("orchestrator", LogLevel::kWarn);
  TrivialTier tier;
  auto tier_host = Host("tier-worker", &tier);
  if (!tier_host.ok()) {
    std::fprintf(stderr, "%s\n", tier_host.status().ToString().c_str());
    return 1;
  }
  OrchestratorSettings settings = BenchSettings((*tier_host)->grpc_address());
  OrchestratorClients clients;
  auto channel = MakeChannel((*tier_host)->grpc_address());
  clients.tiers["a"] = std::make_shared<GrpcTierClient>(channel);
  clients.tiers["b"] = std::make_shared<GrpcTierClient>(channel);
  prometheus::Registry registry;
  auto orchestrator = std::make_shared<Orchestrator>(settings, clients,
                                                     std::make_shared<CascadeMetrics>(&registry));
  CascadeService service(orchestrator);
  auto orchestrator_host = Host("orchestrator", &service);
  if (!orchestrator_host.ok()) {
    std::fprintf(stderr, "%s\n", orchestrator_host.status().ToString().c_str());
    return 1;
  }
  // The same orchestrator with a decision log.
  char log_path[] = "/tmp/cascade-bench-decisions-XXXXXX";
  const int log_fd = mkstemp(log_path);
  if (log_fd < 0) {
    std::perror("mkstemp");
    return 1;
  }
  close(log_fd);
  DecisionLogSettings log_settings;
  log_settings.path = log_path;
  prometheus::Registry logged_registry;
  auto logged_metrics = std::make_shared<CascadeMetrics>(&logged_registry);
  auto decision_log = DecisionLog::Open(log_settings, logged_metrics.get());
  if (!decision_log.ok()) {
    std::fprintf(stderr, "%s\n", decision_log.status().ToString().c_str());
    return 1;
  }
  auto logged = std::make_shared<Orchestrator>(settings, clients, logged_metrics);
  logged->SetDecisionLog(*std::move(decision_log));
  CascadeService logged_service(logged);
  auto logged_host = Host("orchestrator-logged", &logged_service);
  if (!logged_host.ok()) {
    std::fprintf(stderr, "%s\n", logged_host.status().ToString().c_str());
    return 1;
  }
  auto tier_stub = v1::TierWorker::NewStub(
      grpc::CreateChannel((*tier_host)->grpc_address(), grpc::InsecureChannelCredentials()));
  auto cascade_stub = v1::Cascade::NewStub(grpc::CreateChannel((*orchestrator_host)->grpc_address(),
                                                               grpc::InsecureChannelCredentials()));
  auto logged_stub = v1::Cascade::NewStub(
      grpc::CreateChannel((*logged_host)->grpc_address(), grpc::InsecureChannelCredentials()));

  auto direct = [&](auto done) {
    auto* call = new Call<v1::CompleteRequest, v1::CompleteResponse>;
    call->request = TierRequest();
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    tier_stub->async()->Complete(&call->context, &call->request, &call->response,
                                 [call, done](grpc::Status status) {
                                   done(status.ok());
                                   delete call;
                                 });
  };
  auto via = [&](const std::string& policy, v1::Cascade::Stub* stub) {
    return [&, policy, stub](auto done) {
      auto* call = new Call<v1::CascadeRequest, v1::CascadeResponse>;
      call->request = CascadeRequestFor(policy);
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      stub->async()->Complete(&call->context, &call->request, &call->response,
                              [call, done](grpc::Status status) {
                                done(status.ok() && call->response.steps_size() == 1);
                                delete call;
                              });
    };
  };
  // Warm up: connections, the tier's Describe, lazy allocations.
  RunAtRate(300, 1.0, direct);
  RunAtRate(300, 1.0, via("cascade", cascade_stub.get()));
  RunAtRate(300, 1.0, via("checked", cascade_stub.get()));
  RunAtRate(300, 1.0, via("cascade", logged_stub.get()));

  std::printf(
      "Orchestrator overhead over gRPC on loopback, open loop, %.0f s per rate, microseconds "
      "from scheduled send to answer\n",
      seconds);
  std::printf("%-8s %8s %8s %8s %8s %8s %7s %11s %11s\n", "path", "rate/s", "p50", "p90", "p99",
              "max", "errors", "added p50", "added p99");
  for (double rate : rates) {
    Result base = RunAtRate(rate, seconds, direct);
    auto row = [&](const char* name, const Result& r) {
      const auto& l = r.latencies_us;
      std::printf("%-8s %8.0f %8.0f %8.0f %8.0f %8.0f %7zu", name, rate, Percentile(l, 0.5),
                  Percentile(l, 0.9), Percentile(l, 0.99), l.empty() ? 0.0 : l.back(), r.errors);
      if (&r == &base) {
        std::printf(" %11s %11s\n", "-", "-");
      } else {
        std::printf(" %11.0f %11.0f\n", Percentile(l, 0.5) - Percentile(base.latencies_us, 0.5),
                    Percentile(l, 0.99) - Percentile(base.latencies_us, 0.99));
      }
      std::fflush(stdout);
    };
    row("direct", base);
    Result cascade = RunAtRate(rate, seconds, via("cascade", cascade_stub.get()));
    row("cascade", cascade);
    Result checked = RunAtRate(rate, seconds, via("checked", cascade_stub.get()));
    row("checked", checked);
    Result with_log = RunAtRate(rate, seconds, via("cascade", logged_stub.get()));
    row("logged", with_log);
  }
  (*logged_host)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::remove(log_path);
  (*orchestrator_host)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  (*tier_host)->Shutdown(std::chrono::system_clock::now());
  return 0;
}

}  // namespace
}  // namespace cascade::orchestrator::bench

int main(int argc, char** argv) {
  std::vector<double> rates = {200, 1000};
  double seconds = 5.0;
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
    } else {
      ok = false;
    }
  }
  if (!ok) {
    std::fprintf(stderr, "usage: %s [--rates=R1,R2,...] [--seconds=S]\n", argv[0]);
    return 2;
  }
  return cascade::orchestrator::bench::Run(rates, seconds);
}
