// A fresh temporary folder for one test's files (models, quantized copies, the reference
// script's output), removed with everything in it when the object goes away.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace cascade::conformance {

class WorkDir {
 public:
  explicit WorkDir(const std::string& prefix) {
    std::string pattern = ::testing::TempDir() + "/" + prefix + "_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~WorkDir() { std::filesystem::remove_all(path_); }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cascade::conformance
