// GGUF files: a header, typed key/value metadata, tensor descriptions, then aligned tensor data.
// https://github.com/ggml-org/ggml/blob/master/docs/gguf.md describes the format; this reader
// checks every length, count and offset against the file before using it, so a corrupt file is
// an error that says what is wrong, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/mapped_file.h"
#include "services/inference/engine/tensor_type.h"

namespace cascade::engine {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint64_t kGgufDefaultAlignment = 32;

enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

absl::string_view GgufValueTypeName(GgufValueType type);

// One metadata value. Integers of every width are held in `int_value` (u64 values above
// INT64_MAX keep their bits in `uint_value` too), floats in `float_value`.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
  bool bool_value = false;
  std::string string_value;
  GgufValueType array_type = GgufValueType::kUint8;  // element type when type == kArray
  std::vector<GgufValue> array;

  bool is_integer() const;
  bool is_float() const {
    return type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64;
  }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // dims[0] is the contiguous one (the row length)
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;  // relative to the start of the data section
  const uint8_t* data = nullptr;
  size_t byte_size = 0;

  int64_t rows() const;  // product of dims[1..]
};

class GgufFile {
 public:
  // Maps and validates `path`. Errors name the file and the broken field.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::string& path() const { return file_->path(); }
  // The mapping; tensors point into it, so keep it alive as long as they are used.
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

  // Metadata in file order (a writer copying a file keeps the order).
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(absl::string_view key) const;

  // Typed lookups; a missing key or a value of another type is an error naming the key.
  absl::StatusOr<std::string> GetString(absl::string_view key) const;
  absl::StatusOr<int64_t> GetInt(absl::string_view key) const;
  absl::StatusOr<double> GetFloat(absl::string_view key) const;  // integers are accepted too
  absl::StatusOr<bool> GetBool(absl::string_view key) const;
  // The same, but a missing key gives `fallback` (a present key of the wrong type is an error).
  absl::StatusOr<int64_t> GetInt(absl::string_view key, int64_t fallback) const;
  absl::StatusOr<double> GetFloat(absl::string_view key, double fallback) const;
  absl::StatusOr<bool> GetBool(absl::string_view key, bool fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(absl::string_view name) const;

 private:
  friend class GgufParser;
  GgufFile() = default;

  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kGgufDefaultAlignment;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  absl::flat_hash_map<std::string, size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  absl::flat_hash_map<std::string, size_t> tensor_index_;
};

}  // namespace cascade::engine
