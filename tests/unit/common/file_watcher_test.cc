// The file watcher sees a rewrite in place, an atomic rename over the file, and a
// Kubernetes ConfigMap update (a `..data` symlink swapped to a new directory).

#include "common/io/file_watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/support/poll.h"

namespace cascade {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto kInterval = 5ms;
constexpr auto kPatience = 10s;

fs::path FreshDir(const std::string& name) {
  fs::path dir =
      fs::path(::testing::TempDir()) / ("watcher_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

TEST(FileSignatureTest, MissingFileHasNoSignature) {
  EXPECT_FALSE(ReadFileSignature("/nonexistent/routes.yaml").exists);
}

TEST(FileSignatureTest, FollowsSymlinks) {
  fs::path dir = FreshDir("follow");
  Write(dir / "real.yaml", "a");
  fs::create_symlink(dir / "real.yaml", dir / "link.yaml");
  EXPECT_EQ(ReadFileSignature((dir / "link.yaml").string()),
            ReadFileSignature((dir / "real.yaml").string()));
}

TEST(FileWatcherTest, SeesAnAtomicReplace) {
  fs::path dir = FreshDir("rename");
  const fs::path file = dir / "routes.yaml";
  Write(file, "one");
  std::atomic<int> changes{0};
  FileWatcher watcher(file.string(), kInterval, ReadFileSignature(file.string()),
                      [&] { ++changes; });
  Write(dir / "routes.yaml.tmp", "two");
  fs::rename(dir / "routes.yaml.tmp", file);
  EXPECT_TRUE(testing::PollUntil([&] { return changes.load() >= 1; }, kPatience));
}

TEST(FileWatcherTest, SeesAnInPlaceRewrite) {
  fs::path dir = FreshDir("rewrite");
  const fs::path file = dir / "routes.yaml";
  Write(file, "one");
  std::atomic<int> changes{0};
  FileWatcher watcher(file.string(), kInterval, ReadFileSignature(file.string()),
                      [&] { ++changes; });
  Write(file, "a longer text");
  EXPECT_TRUE(testing::PollUntil([&] { return changes.load() >= 1; }, kPatience));
}

// What the kubelet does: routes.yaml -> ..data/routes.yaml, ..data -> ..<timestamp>/; an
// update writes a new timestamped directory and renames a new symlink over ..data.
TEST(FileWatcherTest, SeesAConfigMapSymlinkSwap) {
  fs::path dir = FreshDir("configmap");
  fs::create_directories(dir / "..v1");
  Write(dir / "..v1" / "routes.yaml", "routes: []\n");
  fs::create_directory_symlink("..v1", dir / "..data");
  fs::create_symlink("..data/routes.yaml", dir / "routes.yaml");
  const std::string watched = (dir / "routes.yaml").string();

  std::atomic<int> changes{0};
  FileWatcher watcher(watched, kInterval, ReadFileSignature(watched), [&] { ++changes; });
  fs::create_directories(dir / "..v2");
  Write(dir / "..v2" / "routes.yaml", "routes: []\n");  // Same size and content.
  fs::create_directory_symlink("..v2", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  EXPECT_TRUE(testing::PollUntil([&] { return changes.load() >= 1; }, kPatience));
}

TEST(FileWatcherTest, SeesTheFileDisappearAndComeBack) {
  fs::path dir = FreshDir("vanish");
  const fs::path file = dir / "routes.yaml";
  Write(file, "one");
  std::atomic<int> changes{0};
  FileWatcher watcher(file.string(), kInterval, ReadFileSignature(file.string()),
                      [&] { ++changes; });
  fs::remove(file);
  ASSERT_TRUE(testing::PollUntil([&] { return changes.load() >= 1; }, kPatience));
  Write(file, "two");
  EXPECT_TRUE(testing::PollUntil([&] { return changes.load() >= 2; }, kPatience));
}

TEST(FileWatcherTest, StopsPromptlyWithALongInterval) {
  fs::path dir = FreshDir("stop");
  const auto start = std::chrono::steady_clock::now();
  {
    FileWatcher watcher((dir / "routes.yaml").string(), std::chrono::hours(1), FileSignature{},
                        [] {});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace cascade
