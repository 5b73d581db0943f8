// The async line writer: lines land whole and in order, files rotate by size keeping
// max_files, a full queue or a failed write drops the line and says so, and destruction
// writes out everything queued.

#include "common/io/async_line_writer.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cascade {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fresh directory per test.
fs::path Directory(const std::string& name) {
  fs::path dir =
      fs::path(::testing::TempDir()) / absl::StrCat("line_writer_", name, "_", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

AsyncLineWriterOptions Options(const std::string& path, int64_t max_bytes = 1 << 20,
                               int max_files = 5) {
  AsyncLineWriterOptions options;
  options.path = path;
  options.max_bytes = max_bytes;
  options.max_files = max_files;
  return options;
}

std::vector<std::string> Lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(AsyncLineWriterTest, AppendsLinesInOrderAndFlushWaitsForThem) {
  const fs::path path = Directory("order") / "log.jsonl";
  {
    std::ofstream(path) << "earlier\n";  // Appended to, never truncated.
  }
  auto writer = AsyncLineWriter::Open(Options(path.string()));
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < 100; ++i) EXPECT_TRUE((*writer)->Append(absl::StrCat("line ", i)));
  (*writer)->Flush();
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines[0], "earlier");
  EXPECT_EQ(lines[1], "line 0");
  EXPECT_EQ(lines[100], "line 99");
  EXPECT_EQ((*writer)->written(), 100);
  EXPECT_EQ((*writer)->dropped(), 0);
}

TEST(AsyncLineWriterTest, DestructionWritesOutEverythingQueued) {
  const fs::path path = Directory("drain") / "log.jsonl";
  {
    auto writer = AsyncLineWriter::Open(Options(path.string()));
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 1000; ++i) (*writer)->Append(absl::StrCat("line ", i));
  }
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 1000u);
  EXPECT_EQ(lines.back(), "line 999");
}

TEST(AsyncLineWriterTest, RotatesBySizeKeepingMaxFiles) {
  const fs::path dir = Directory("rotate");
  const fs::path path = dir / "log.jsonl";
  // Each line is 10 bytes with its newline; 25 bytes hold two.
  auto writer = AsyncLineWriter::Open(Options(path.string(), 25, 2));
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < 8; ++i) (*writer)->Append(absl::StrCat("line-000", i));
  (*writer)->Flush();
  EXPECT_THAT(Lines(path), ElementsAre("line-0006", "line-0007"));
  EXPECT_THAT(Lines(dir / "log.jsonl.1"), ElementsAre("line-0004", "line-0005"));
  EXPECT_THAT(Lines(dir / "log.jsonl.2"), ElementsAre("line-0002", "line-0003"));
  EXPECT_FALSE(fs::exists(dir / "log.jsonl.3"));  // The oldest were deleted.
}

TEST(AsyncLineWriterTest, WithoutKeptFilesTheLiveOneStartsOver) {
  const fs::path dir = Directory("truncate");
  const fs::path path = dir / "log.jsonl";
  auto writer = AsyncLineWriter::Open(Options(path.string(), 25, 0));
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < 5; ++i) (*writer)->Append(absl::StrCat("line-000", i));
  (*writer)->Flush();
  EXPECT_THAT(Lines(path), ElementsAre("line-0004"));
  EXPECT_FALSE(fs::exists(dir / "log.jsonl.1"));
}

TEST(AsyncLineWriterTest, AFailedWriteDropsTheLineAndSaysWhy) {
  absl::Mutex mu;
  std::vector<std::string> reasons;
  AsyncLineWriterOptions options = Options("/dev/full");
  options.on_drop = [&](const std::string& reason) {
    absl::MutexLock lock(&mu);
    reasons.push_back(reason);
  };
  auto writer = AsyncLineWriter::Open(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Append("lost");
  (*writer)->Flush();
  EXPECT_EQ((*writer)->dropped(), 1);
  EXPECT_EQ((*writer)->written(), 0);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_THAT(reasons[0], HasSubstr("write_failed"));
}

// The writer stuck on a pipe nobody reads: the queue fills, and what does not fit is
// dropped at once instead of waiting.
TEST(AsyncLineWriterTest, AFullQueueDropsInsteadOfBlocking) {
  const fs::path fifo = Directory("fifo") / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  std::vector<std::string> reasons;
  AsyncLineWriterOptions options = Options(fifo.string());
  options.queue_size = 1;
  options.on_drop = [&](const std::string& reason) { reasons.push_back(reason); };
  auto writer = AsyncLineWriter::Open(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // Larger than a pipe's buffer: the writer thread blocks on it.
  (*writer)->Append(std::string(1 << 20, 'x'));
  int accepted = 0;
  for (int i = 0; i < 3; ++i) accepted += (*writer)->Append("small") ? 1 : 0;
  EXPECT_LE(accepted, 1);  // One may still find room in the queue.
  EXPECT_GE((*writer)->dropped(), 2);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0], "queue_full");
  // Read the pipe dry so the writer can finish and be destroyed.
  std::thread drain([reader] {
    ::fcntl(reader, F_SETFL, 0);  // Blocking from now on: read until the writer closes.
    char buffer[65536];
    while (::read(reader, buffer, sizeof(buffer)) > 0) {
    }
  });
  writer->reset();
  drain.join();
  ::close(reader);
}

// A rotation whose folder vanished cannot reopen the file: the line is dropped and said so,
// and writing resumes once the folder is back.
TEST(AsyncLineWriterTest, AFileThatCannotBeReopenedDropsUntilItCanBe) {
  const fs::path dir = Directory("reopen");
  const fs::path path = dir / "log.jsonl";
  std::atomic<int> drops{0};
  AsyncLineWriterOptions options = Options(path.string(), 25, 1);
  options.on_drop = [&](const std::string&) { ++drops; };
  auto writer = AsyncLineWriter::Open(options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Append("line-0000");
  (*writer)->Append("line-0001");
  (*writer)->Flush();
  fs::remove_all(dir);
  (*writer)->Append("line-0002");  // Needs a rotation, into a folder that is gone.
  (*writer)->Flush();
  EXPECT_EQ((*writer)->dropped(), 1);
  EXPECT_EQ(drops.load(), 1);
  fs::create_directories(dir);
  (*writer)->Append("line-0003");
  (*writer)->Flush();
  EXPECT_THAT(Lines(path), ElementsAre("line-0003"));
  EXPECT_EQ((*writer)->written(), 3);
}

TEST(AsyncLineWriterTest, BadOptionsAndUnwritablePathsAreNamed) {
  EXPECT_EQ(AsyncLineWriter::Open(Options("")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AsyncLineWriter::Open(Options("/tmp/x", 0)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto missing = AsyncLineWriter::Open(Options("/nonexistent-dir/log.jsonl"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent-dir/log.jsonl"));
}

}  // namespace
}  // namespace cascade
