#pragma once

// Appends lines to a file from a writer thread of its own, so that the caller never waits
// on the disk: Append() queues the line and returns at once. The queue is bounded: a line
// that finds it full is dropped, counted and reported (a slow disk must not grow memory
// without bound or slow requests down). Files rotate by size: PATH becomes PATH.1, PATH.1
// becomes PATH.2, ..., and the oldest past max_files is deleted. Flush() and the destructor
// write out everything queued, so a drain loses no accepted line.

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace cascade {

struct AsyncLineWriterOptions {
  std::string path;
  // Rotate before a line would take the file past this size (a single longer line is
  // still written whole, into a file of its own).
  int64_t max_bytes = int64_t{100} << 20;
  // Rotated files kept besides the live one; 0: the live file is truncated instead.
  int max_files = 5;
  // Lines waiting for the writer thread.
  size_t queue_size = 10000;
  // Told of each dropped line (queue full, or a write that failed) with the reason; called
  // on the appending thread (queue full) or the writer thread (write error). May be empty.
  std::function<void(const std::string& reason)> on_drop;
};

class AsyncLineWriter {
 public:
  // Opens (appends to) the file, creating it. FAILED_PRECONDITION naming the path when it
  // cannot be opened, INVALID_ARGUMENT for a bad option.
  static absl::StatusOr<std::unique_ptr<AsyncLineWriter>> Open(AsyncLineWriterOptions options);

  // Writes out everything queued, then stops the thread.
  ~AsyncLineWriter();

  AsyncLineWriter(const AsyncLineWriter&) = delete;
  AsyncLineWriter& operator=(const AsyncLineWriter&) = delete;

  // Queues `line` (a newline is added). Never blocks on the disk. False: dropped.
  bool Append(std::string line);

  // Returns once every line queued before the call is written (to the OS: lines are
  // unbuffered).
  void Flush();

  int64_t written() const;
  int64_t dropped() const;

 private:
  AsyncLineWriter(AsyncLineWriterOptions options, std::FILE* file, int64_t size);

  void Run();
  // Writes one line, rotating first when it would overflow the file. False on a write error.
  bool WriteLine(const std::string& line);
  void Rotate();
  void Dropped(const std::string& reason);

  const AsyncLineWriterOptions options_;
  // Only the writer thread touches the file.
  std::FILE* file_;
  int64_t size_;

  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Lines taken off the queue and not yet written (Flush waits for them too).
  size_t writing_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace cascade
