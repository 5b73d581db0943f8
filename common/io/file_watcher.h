#pragma once

// Watches a file and calls back when it changes, so that every replica picks up a new
// version (the router's routes, the orchestrator's policies) without a restart.
//
// Polls stat() of the path every interval rather than using inotify: a Kubernetes
// ConfigMap volume updates by swapping a `..data` symlink to a new directory, which
// inotify on the file itself never reports (the watched inode does not change; it is
// replaced). stat() follows the symlinks, so a swap shows up as a new inode, and an
// in-place rewrite as a new size, mtime or ctime. One stat() a second costs nothing.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cascade {

// What tells one version of a file from the next.
struct FileSignature {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

// The signature of the file `path` resolves to (symlinks followed); exists = false when
// there is none.
FileSignature ReadFileSignature(const std::string& path);

class FileWatcher {
 public:
  // Starts polling `path`. `on_change` runs on the watcher's thread, once per change seen
  // against `baseline` (take it before loading the file, so a change made meanwhile is
  // not missed), and must not destroy the watcher.
  FileWatcher(std::string path, std::chrono::milliseconds interval, FileSignature baseline,
              std::function<void()> on_change);
  // Stops the thread (waiting for a callback in progress).
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  const std::string& path() const { return path_; }

 private:
  void Run();

  const std::string path_;
  const std::chrono::milliseconds interval_;
  FileSignature last_seen_;
  const std::function<void()> on_change_;
  std::mutex mu_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::thread thread_;  // Last: starts after everything it reads is initialised.
};

}  // namespace cascade
