#include "tests/support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace cascade::testing {
namespace {

std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    size_t eq = text.find('=');
    if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
  }
  for (const auto& [key, value] : extra) merged[key] = value;
  std::vector<std::string> result;
  for (const auto& [key, value] : merged) result.push_back(key + "=" + value);
  return result;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Spawns with stdout and stderr going to `out_fd`; signals unblocked in the child.
absl::StatusOr<pid_t> Spawn(const std::string& binary, const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env, int out_fd) {
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = MergedEnvironment(env);
  auto argv = CStrings(argv_strings);
  auto envp = CStrings(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int error = posix_spawn(&pid, binary.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", binary, ": ", std::strerror(error)));
  }
  return pid;
}

ProcessResult Decode(int status) {
  if (WIFEXITED(status)) return {true, WEXITSTATUS(status)};
  return {false, WIFSIGNALED(status) ? WTERMSIG(status) : -1};
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& binary, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env, std::chrono::seconds timeout) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> full_args = args;
  auto has = [&](const std::string& flag) {
    for (const auto& a : args) {
      if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  if (!has("--grpc-listen")) full_args.insert(full_args.end(), {"--grpc-listen", "127.0.0.1:0"});
  if (!has("--metrics-listen")) {
    full_args.insert(full_args.end(), {"--metrics-listen", "127.0.0.1:0"});
  }
  auto pid = Spawn(binary, full_args, env, pipe_fds[1]);
  close(pipe_fds[1]);
  if (!pid.ok()) {
    close(pipe_fds[0]);
    return pid.status();
  }
  std::unique_ptr<ServerProcess> process(new ServerProcess());
  process->pid_ = *pid;
  int read_fd = pipe_fds[0];
  process->reader_ = std::thread([p = process.get(), read_fd] { p->ReadStderr(read_fd); });

  std::unique_lock<std::mutex> lock(process->mu_);
  bool ready = process->changed_.wait_for(
      lock, timeout, [&] { return !process->listening_.is_null() || process->stderr_closed_; });
  if (!ready || process->listening_.is_null()) {
    std::string output = process->stderr_;
    lock.unlock();
    return absl::UnavailableError(absl::StrCat(binary, " did not report listening (",
                                               ready ? "it exited" : "timed out",
                                               "); its output:\n", output));
  }
  return process;
}

void ServerProcess::ReadStderr(int fd) {
  std::string partial;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    stderr_.append(buffer, n);
    partial.append(buffer, n);
    size_t newline;
    while ((newline = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, newline);
      partial.erase(0, newline + 1);
      if (listening_.is_null()) {
        auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (json.is_object() && json.value("event", "") == "listening") listening_ = json;
      }
    }
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  stderr_closed_ = true;
  changed_.notify_all();
}

void ServerProcess::Signal(int signal_number) {
  if (!result_) kill(pid_, signal_number);
}

std::optional<ProcessResult> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (result_) return result_;
  // The child's stderr closes when it exits (servers never fork), so waiting on the pipe
  // is event driven and the blocking waitpid after it returns at once.
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!changed_.wait_for(lock, timeout, [&] { return stderr_closed_; })) return std::nullopt;
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  result_ = Decode(status);
  return result_;
}

std::string ServerProcess::Stderr() {
  std::lock_guard<std::mutex> lock(mu_);
  return stderr_;
}

bool ServerProcess::WaitForStderr(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return stderr_.find(text) != std::string::npos || stderr_closed_;
  }) && stderr_.find(text) != std::string::npos;
}

ServerProcess::~ServerProcess() {
  if (!result_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) reader_.join();
}

ProcessResult ServerProcess::RunToExit(const std::string& binary,
                                       const std::vector<std::string>& args, std::string* output) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return {false, -1};
  auto pid = Spawn(binary, args, {}, pipe_fds[1]);
  close(pipe_fds[1]);
  if (!pid.ok()) {
    close(pipe_fds[0]);
    *output = std::string(pid.status().message());
    return {false, -1};
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) output->append(buffer, n);
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(*pid, &status, 0);
  return Decode(status);
}

}  // namespace cascade::testing
