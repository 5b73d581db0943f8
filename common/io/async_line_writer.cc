#include "common/io/async_line_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cascade {

absl::StatusOr<std::unique_ptr<AsyncLineWriter>> AsyncLineWriter::Open(
    AsyncLineWriterOptions options) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: a file path is required");
  if (options.max_bytes <= 0) return absl::InvalidArgumentError("max_bytes must be > 0");
  if (options.max_files < 0) return absl::InvalidArgumentError("max_files must be >= 0");
  if (options.queue_size == 0) return absl::InvalidArgumentError("queue_size must be > 0");
  std::FILE* file = std::fopen(options.path.c_str(), "a");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", options.path, " for appending: ", std::strerror(errno)));
  }
  // Unbuffered: each line is one write(2), so a failed write is seen (and counted) with its
  // line, not later at a flush.
  std::setvbuf(file, nullptr, _IONBF, 0);
  std::error_code error;
  const auto size = std::filesystem::file_size(options.path, error);
  return std::unique_ptr<AsyncLineWriter>(
      new AsyncLineWriter(std::move(options), file, error ? 0 : static_cast<int64_t>(size)));
}

AsyncLineWriter::AsyncLineWriter(AsyncLineWriterOptions options, std::FILE* file, int64_t size)
    : options_(std::move(options)), file_(file), size_(size) {
  thread_ = std::thread([this] { Run(); });
}

AsyncLineWriter::~AsyncLineWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  if (file_ != nullptr) std::fclose(file_);
}

bool AsyncLineWriter::Append(std::string line) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.queue_size) {
      line.push_back('\n');
      queue_.push_back(std::move(line));
      return true;
    }
  }
  Dropped("queue_full");
  return false;
}

void AsyncLineWriter::Flush() {
  absl::MutexLock lock(&mu_);
  auto written_out = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && writing_ == 0;
  };
  mu_.Await(absl::Condition(&written_out));
}

int64_t AsyncLineWriter::written() const {
  absl::MutexLock lock(&mu_);
  return written_;
}

int64_t AsyncLineWriter::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void AsyncLineWriter::Run() {
  while (true) {
    std::vector<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty()) return;  // Stopping, and everything is written.
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
      writing_ = batch.size();
    }
    int64_t ok = 0;
    for (const std::string& line : batch) {
      if (WriteLine(line)) {
        ++ok;
      } else {
        Dropped(absl::StrCat("write_failed: ", std::strerror(errno)));
      }
    }
    absl::MutexLock lock(&mu_);
    written_ += ok;
    writing_ = 0;
  }
}

bool AsyncLineWriter::WriteLine(const std::string& line) {
  const int64_t bytes = static_cast<int64_t>(line.size());
  if (size_ > 0 && size_ + bytes > options_.max_bytes) Rotate();
  if (file_ == nullptr) {
    // The last rotation could not reopen the file: try again for every line, so that
    // writing resumes once the directory is writable again.
    file_ = std::fopen(options_.path.c_str(), "a");
    if (file_ == nullptr) return false;
    std::setvbuf(file_, nullptr, _IONBF, 0);
  }
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return false;
  size_ += bytes;
  return true;
}

void AsyncLineWriter::Rotate() {
  if (file_ != nullptr) std::fclose(file_);
  const std::string& path = options_.path;
  std::error_code ignored;
  if (options_.max_files > 0) {
    std::filesystem::remove(absl::StrCat(path, ".", options_.max_files), ignored);
    for (int i = options_.max_files - 1; i >= 1; --i) {
      std::filesystem::rename(absl::StrCat(path, ".", i), absl::StrCat(path, ".", i + 1), ignored);
    }
    std::filesystem::rename(path, absl::StrCat(path, ".1"), ignored);
  }
  // Without kept files, the live one starts over.
  file_ = std::fopen(path.c_str(), options_.max_files > 0 ? "a" : "w");
  if (file_ != nullptr) std::setvbuf(file_, nullptr, _IONBF, 0);
  size_ = 0;
}

void AsyncLineWriter::Dropped(const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    ++dropped_;
  }
  if (options_.on_drop) options_.on_drop(reason);
}

}  // namespace cascade
