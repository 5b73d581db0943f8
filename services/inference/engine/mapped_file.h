// A read-only memory mapping of a whole file. Model weights are used straight from the mapping,
// so loading is instant and several processes share one copy in the page cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cascade::engine {

class MappedFile {
 public:
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops the whole pages inside [begin, begin + bytes) from this process's resident memory
  // (madvise MADV_DONTNEED), for data that was copied elsewhere and is no longer read here.
  // Reading them again still works: they come back from the file. Bytes outside the mapping
  // are ignored.
  void Release(const uint8_t* begin, size_t bytes) const;

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace cascade::engine
