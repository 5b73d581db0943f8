#include "common/io/file_watcher.h"

#include <sys/stat.h>

#include <utility>

namespace cascade {

FileSignature ReadFileSignature(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return FileSignature{};
  FileSignature signature;
  signature.exists = true;
  signature.device = info.st_dev;
  signature.inode = info.st_ino;
  signature.size = info.st_size;
  signature.mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  signature.ctime_ns =
      static_cast<int64_t>(info.st_ctim.tv_sec) * 1000000000 + info.st_ctim.tv_nsec;
  return signature;
}

FileWatcher::FileWatcher(std::string path, std::chrono::milliseconds interval,
                         FileSignature baseline, std::function<void()> on_change)
    : path_(std::move(path)),
      interval_(interval),
      last_seen_(baseline),
      on_change_(std::move(on_change)),
      thread_([this] { Run(); }) {}

FileWatcher::~FileWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

void FileWatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_requested_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    // Taken before the callback reads the file: a write that lands during the reload
    // changes the signature again, and the next poll reloads once more.
    const FileSignature now = ReadFileSignature(path_);
    if (!(now == last_seen_)) {
      last_seen_ = now;
      on_change_();
    }
    lock.lock();
  }
}

}  // namespace cascade
