// Fuzzes the GGUF reader (services/inference/engine/gguf): the bytes are a file, mapped as
// a model is. When it parses, every tensor must lie inside the file with the size its
// dimensions and type say, its first and last bytes are read, and a little of it is
// dequantized; every metadata value is read through the typed getters.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "services/inference/engine/gguf.h"

namespace engine = cascade::engine;

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// The bytes as a file: an in-memory one, opened by path like any model.
int MemoryFile(const uint8_t* data, size_t size) {
  const int fd = memfd_create("gguf", MFD_CLOEXEC);
  Check(fd >= 0);
  for (size_t written = 0; written < size;) {
    const ssize_t n = write(fd, data + written, size - written);
    Check(n > 0);
    written += static_cast<size_t>(n);
  }
  return fd;
}

void CheckTensor(const engine::GgufFile& file, const engine::GgufTensorInfo& tensor) {
  // The size, recomputed here without overflow.
  uint64_t elements = 1;
  for (int64_t dim : tensor.dims) {
    Check(dim > 0);
    Check(!__builtin_mul_overflow(elements, static_cast<uint64_t>(dim), &elements));
  }
  const uint64_t rows = elements / static_cast<uint64_t>(tensor.dims[0]);
  Check(static_cast<uint64_t>(tensor.rows()) == rows);
  uint64_t bytes = 0;
  Check(!__builtin_mul_overflow(engine::RowBytes(tensor.type, tensor.dims[0]), rows, &bytes));
  Check(bytes == tensor.byte_size);
  const uint8_t* begin = file.mapping()->data();
  const uint8_t* end = begin + file.mapping()->size();
  Check(tensor.data >= begin && tensor.data <= end);
  Check(tensor.byte_size <= static_cast<size_t>(end - tensor.data));
  if (tensor.byte_size == 0) return;
  volatile uint8_t sink = tensor.data[0];
  sink = tensor.data[tensor.byte_size - 1];
  (void)sink;
  // The first row, at most 1024 elements of it (quantized rows in whole blocks).
  int64_t cols = std::min<int64_t>(tensor.dims[0], 1024);
  cols -= cols % engine::BlockElements(tensor.type);
  std::vector<float> row(static_cast<size_t>(cols));
  engine::DequantizeRow(tensor.type, tensor.data, cols, row.data());
}

void ReadMetadata(const engine::GgufFile& file) {
  for (const auto& [key, value] : file.metadata()) {
    Check(file.Find(key) == &value);
    (void)file.GetString(key);
    (void)file.GetInt(key);
    (void)file.GetFloat(key);
    (void)file.GetBool(key);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = MemoryFile(data, size);
  auto file = engine::GgufFile::Open("/proc/self/fd/" + std::to_string(fd));
  close(fd);  // the mapping keeps the file
  if (!file.ok()) return 0;
  ReadMetadata(**file);
  for (const auto& tensor : (*file)->tensors()) {
    Check((*file)->FindTensor(tensor.name) != nullptr);
    CheckTensor(**file, tensor);
  }
  return 0;
}
