#pragma once

// Runs a server binary as a child process for tests: starts it with --grpc-listen and
// --metrics-listen on port 0, waits for its {"event":"listening"} line (no sleeps, no
// fixed ports) and keeps its stderr.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::testing {

struct ProcessResult {
  bool exited = false;  // false: killed by a signal.
  int code = 0;         // Exit code, or the signal number.
};

class ServerProcess {
 public:
  // Starts `binary args...` with `env` added to this process's environment, and waits up
  // to `timeout` for the listening line. The error carries the child's stderr.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args,
      const std::map<std::string, std::string>& env = {},
      std::chrono::seconds timeout = std::chrono::seconds(60));

  // Runs `binary args...` to completion and returns its exit and stderr+stdout.
  static ProcessResult RunToExit(const std::string& binary, const std::vector<std::string>& args,
                                 std::string* output);

  ~ServerProcess();

  const nlohmann::json& listening() const { return listening_; }
  std::string grpc_address() const { return listening_.value("grpc", ""); }
  std::string metrics_address() const { return listening_.value("metrics", ""); }
  std::string http_address() const { return listening_.value("http", ""); }
  pid_t pid() const { return pid_; }

  void Signal(int signal_number);
  // Waits for the process to end; nullopt on timeout.
  std::optional<ProcessResult> WaitForExit(std::chrono::milliseconds timeout);
  // Everything the process wrote to stderr so far.
  std::string Stderr();
  // Waits until a stderr line contains `text`; false on timeout.
  bool WaitForStderr(const std::string& text, std::chrono::milliseconds timeout);

 private:
  ServerProcess() = default;
  void ReadStderr(int fd);

  pid_t pid_ = -1;
  std::optional<ProcessResult> result_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::string stderr_;
  bool stderr_closed_ = false;
  nlohmann::json listening_;
};

}  // namespace cascade::testing
