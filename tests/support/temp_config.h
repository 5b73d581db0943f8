#pragma once

// Writes a config file for a test under the test temp dir. The name carries the process id:
// ctest runs the tests of one binary as parallel processes, and two of them writing the
// same path would let a server read a half-written file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace cascade::testing {

inline std::string WriteTempConfig(const std::string& name, const std::string& contents) {
  std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << contents;
  return path;
}

}  // namespace cascade::testing
