// MappedFile::Release: the pages it gives back leave the process's resident memory (as the
// kernel reports it in /proc/self/smaps) and still read back the file's bytes.
#include "services/inference/engine/mapped_file.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/inference/test_models.h"

namespace cascade::engine {
namespace {

// The resident kilobytes of the mapping that starts at `start`, from /proc/self/smaps.
int64_t ResidentKb(const uint8_t* start) {
  std::ifstream smaps("/proc/self/smaps");
  std::ostringstream prefix;
  prefix << std::hex << reinterpret_cast<uintptr_t>(start) << "-";
  std::string line;
  bool in_mapping = false;
  while (std::getline(smaps, line)) {
    if (line.rfind(prefix.str(), 0) == 0) {
      in_mapping = true;
    } else if (in_mapping && line.rfind("Rss:", 0) == 0) {
      return std::stoll(line.substr(4));
    }
  }
  return -1;
}

TEST(MappedFile, ReleasedPagesLeaveResidentMemoryAndReadBack) {
  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t pages = 64;
  std::string bytes(pages * page, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  testing::TempFile file("mapped.bin");
  file.Write(bytes);
  auto mapped = MappedFile::Open(file.path());
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  const uint8_t* data = (*mapped)->data();

  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 64) sum += data[i];  // fault every page in
  const int64_t before = ResidentKb(data);
  ASSERT_EQ(before, static_cast<int64_t>(pages * page / 1024)) << sum;

  // Half the pages, given as a range that starts and ends mid-page: only whole pages go.
  (*mapped)->Release(data + page / 2, 32 * page);
  EXPECT_EQ(ResidentKb(data), static_cast<int64_t>((pages - 31) * page / 1024));

  // A range partly outside the mapping is clipped to it.
  (*mapped)->Release(data + (pages - 1) * page, 8 * page);
  EXPECT_EQ(ResidentKb(data), static_cast<int64_t>((pages - 32) * page / 1024));

  for (size_t i = 0; i < bytes.size(); ++i) {
    ASSERT_EQ(static_cast<char>(data[i]), bytes[i]) << "byte " << i;
  }
}

}  // namespace
}  // namespace cascade::engine
