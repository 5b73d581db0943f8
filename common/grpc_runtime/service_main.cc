#include "common/grpc_runtime/service_main.h"

#include <google/protobuf/util/time_util.h>
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/config/config_loader.h"
#include "common/grpc_runtime/service_host.h"
#include "common/log/logger.h"
#include "common/version.h"

namespace cascade {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 78;       // EX_CONFIG.
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: an address could not be bound.

std::chrono::milliseconds DurationOr(const google::protobuf::Duration& value, bool present,
                                     std::chrono::milliseconds fallback) {
  if (!present) return fallback;
  return std::chrono::milliseconds(TimeUtil::DurationToMilliseconds(value));
}

cascade::v1::ServerConfig* ServerConfigOf(google::protobuf::Message* config) {
  const auto* field = config->GetDescriptor()->FindFieldByName("server");
  return static_cast<cascade::v1::ServerConfig*>(
      config->GetReflection()->MutableMessage(config, field));
}

// The config's `http_listen`, or "" for services without a front door.
std::string HttpListenOf(const google::protobuf::Message& config) {
  const auto* field = config.GetDescriptor()->FindFieldByName("http_listen");
  return field == nullptr ? "" : config.GetReflection()->GetString(config, field);
}

int Fail(int code, const std::string& event, const std::string& message) {
  Logger::ReleaseHeldLines();
  LogError(event, {{"error", message}});
  return code;
}

}  // namespace

int RunServerProgram(int argc, char** argv, const ServerProgram& program,
                     google::protobuf::Message* config) {
#ifdef NDEBUG
  // Debian builds Abseil with Mutex deadlock detection on: every new mutex locked and every
  // one destroyed updates one global graph under one global lock, a few percent of all CPU
  // at 1,000 requests/s. Release servers skip it; the sanitizer (test) builds keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  // Signals are taken by sigwait() below; block them before any thread exists so every
  // thread gRPC starts inherits the mask.
  sigset_t drain_signals;
  sigemptyset(&drain_signals);
  sigaddset(&drain_signals, SIGTERM);
  sigaddset(&drain_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &drain_signals, nullptr);

  Logger::Configure(program.service_name, LogLevel::kInfo);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto flags = ParseServerFlags(args, program.flags);
  if (!flags.ok()) {
    std::cerr << program.flags.binary << ": " << flags.status().message() << "\n\n"
              << ServerUsage(program.flags);
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << ServerUsage(program.flags);
    return 0;
  }
  if (flags->version) {
    std::cout << program.flags.binary << " " << kCascadeVersion << "\n";
    return 0;
  }

  if (flags->config_path) {
    absl::Status loaded = LoadConfigFile(*flags->config_path, config);
    if (!loaded.ok()) return Fail(kExitConfig, "config_invalid", std::string(loaded.message()));
  }
  cascade::v1::ServerConfig* server = ServerConfigOf(config);
  if (flags->grpc_listen) server->set_grpc_listen(*flags->grpc_listen);
  if (flags->metrics_listen) server->set_metrics_listen(*flags->metrics_listen);
  if (flags->log_level) server->set_log_level(*flags->log_level);

  LogLevel level = LogLevel::kInfo;
  if (!server->log_level().empty() && !ParseLogLevel(server->log_level(), &level)) {
    return Fail(kExitConfig, "config_invalid",
                absl::StrCat("log level '", server->log_level(),
                             "' is not one of debug, info, warn, error"));
  }
  Logger::Configure(program.service_name, level);
  Logger::HoldUntilListening();  // What the build step logs comes after the listening line.

  auto grpc_address = ParseListenAddress(
      server->grpc_listen().empty() ? "127.0.0.1:0" : server->grpc_listen(), "grpc_listen");
  auto metrics_address = ParseListenAddress(
      server->metrics_listen().empty() ? "127.0.0.1:0" : server->metrics_listen(),
      "metrics_listen");
  std::string http_listen = flags->http_listen.value_or(HttpListenOf(*config));
  auto http_address =
      ParseListenAddress(http_listen.empty() ? "127.0.0.1:0" : http_listen, "http_listen");
  for (const absl::Status& status :
       {grpc_address.status(), metrics_address.status(), http_address.status()}) {
    if (!status.ok()) return Fail(kExitConfig, "config_invalid", std::string(status.message()));
  }
  auto drain_delay =
      DurationOr(server->drain_delay(), server->has_drain_delay(), std::chrono::seconds(5));
  auto drain_grace =
      DurationOr(server->drain_grace(), server->has_drain_grace(), std::chrono::seconds(10));
  if (drain_delay.count() < 0 || drain_grace.count() < 0) {
    return Fail(kExitConfig, "config_invalid", "server.drain_delay and drain_grace must be >= 0");
  }
  auto max_connection_age = DurationOr(server->max_connection_age(),
                                       server->has_max_connection_age(), std::chrono::minutes(5));
  auto max_connection_age_grace =
      DurationOr(server->max_connection_age_grace(), server->has_max_connection_age_grace(),
                 std::chrono::minutes(10));
  if (max_connection_age.count() < 0 || max_connection_age_grace.count() < 0) {
    return Fail(kExitConfig, "config_invalid",
                "server.max_connection_age and max_connection_age_grace must be >= 0");
  }

  auto security = ServerSecurityFromConfig(*server);
  if (!security.ok()) {
    return Fail(kExitConfig, "config_invalid", std::string(security.status().message()));
  }
  if (!security->tls() && !grpc_address->is_unix && grpc_address->host != "127.0.0.1" &&
      grpc_address->host != "::1" && grpc_address->host != "localhost") {
    LogWarn("grpc_plaintext",
            {{"grpc", grpc_address->ToGrpcTarget()},
             {"why", "no server.tls: calls and answers cross the network unencrypted"}});
  }

  ServiceEnvironment env{std::make_shared<prometheus::Registry>(), *http_address};
  auto parts = program.build(*config, env);
  if (!parts.ok()) {
    return Fail(
        parts.status().code() == absl::StatusCode::kUnavailable ? kExitUnavailable : kExitConfig,
        "startup_failed", std::string(parts.status().message()));
  }

  ServiceHostOptions host_options{
      program.service_name,
      *grpc_address,
      *metrics_address,
      server->max_receive_message_bytes() > 0 ? server->max_receive_message_bytes() : 4 << 20,
      {},
      env.registry,
      *std::move(security)};
  host_options.max_connection_age = max_connection_age;
  host_options.max_connection_age_grace = max_connection_age_grace;
  for (auto& service : parts->services) host_options.services.push_back(service.get());
  const std::string host_security = host_options.security.Describe();
  auto host = ServiceHost::Start(std::move(host_options));
  if (!host.ok())
    return Fail(kExitUnavailable, "startup_failed", std::string(host.status().message()));

  nlohmann::json listening = {{"grpc", (*host)->grpc_address()},
                              {"metrics", (*host)->metrics_address()},
                              {"grpc_security", host_security}};
  if (parts->http) listening["http"] = parts->http->address();
  listening["version"] = kCascadeVersion;
  LogInfo("listening", listening);

  int signal_number = 0;
  sigwait(&drain_signals, &signal_number);
  LogInfo("draining", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                       {"drain_delay_ms", drain_delay.count()},
                       {"drain_grace_ms", drain_grace.count()}});
  (*host)->BeginDrain();
  if (parts->http) parts->http->BeginDrain();
  // A second signal skips the rest of the delay (an operator pressing Ctrl-C twice).
  timespec delay{static_cast<time_t>(drain_delay.count() / 1000),
                 static_cast<long>((drain_delay.count() % 1000) * 1000000)};
  if (drain_delay.count() > 0) sigtimedwait(&drain_signals, nullptr, &delay);
  auto deadline = std::chrono::system_clock::now() + drain_grace;
  if (parts->http) parts->http->Shutdown(deadline);
  (*host)->Shutdown(deadline);
  LogInfo("stopped", {});
  return 0;
}

}  // namespace cascade
