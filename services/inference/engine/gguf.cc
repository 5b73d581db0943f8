#include "services/inference/engine/gguf.h"

#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::engine {

absl::string_view GgufValueTypeName(GgufValueType type) {
  static constexpr absl::string_view kNames[] = {"u8",  "i8",  "u16",  "i16",    "u32",
                                                 "i32", "f32", "bool", "string", "array",
                                                 "u64", "i64", "f64"};
  const auto index = static_cast<uint32_t>(type);
  return index < std::size(kNames) ? kNames[index] : "unknown";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

int64_t GgufTensorInfo::rows() const {
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  return rows;
}

// Reads the file front to back. Every Read* checks that the bytes exist first.
class GgufParser {
 public:
  explicit GgufParser(GgufFile& file)
      : file_(file), data_(file.file_->data()), size_(file.file_->size()) {}

  absl::Status Parse() {
    uint32_t magic = 0;
    if (auto s = ReadPod(magic, "the magic number"); !s.ok()) return s;
    if (magic != kGgufMagic) {
      return Error(absl::StrCat("is not a GGUF file (the first four bytes are not \"GGUF\")"));
    }
    if (auto s = ReadPod(file_.version_, "the version"); !s.ok()) return s;
    if (file_.version_ < 1 || file_.version_ > 3) {
      const bool byte_swapped = file_.version_ >= (1u << 16);
      return Error(absl::StrCat("has GGUF version ", file_.version_,
                                byte_swapped ? " (a big-endian file?)" : "",
                                "; supported versions are 1, 2 and 3"));
    }
    wide_counts_ = file_.version_ >= 2;  // version 1 used 32-bit counts and lengths
    uint64_t tensor_count = 0;
    uint64_t metadata_count = 0;
    if (auto s = ReadCount(tensor_count, "the tensor count"); !s.ok()) return s;
    if (auto s = ReadCount(metadata_count, "the metadata count"); !s.ok()) return s;
    // Each metadata entry takes at least 12 bytes and each tensor description at least 24, so
    // larger counts are corrupt; checking now avoids reserving absurd amounts of memory.
    if (metadata_count > Remaining() / 12) {
      return Error(absl::StrCat("is truncated or corrupt: it claims ", metadata_count,
                                " metadata entries, more than its size allows"));
    }
    for (uint64_t i = 0; i < metadata_count; ++i) {
      if (auto s = ReadMetadataEntry(i); !s.ok()) return s;
    }
    if (auto s = ReadAlignment(); !s.ok()) return s;
    if (tensor_count > Remaining() / 24) {
      return Error(absl::StrCat("is truncated or corrupt: it claims ", tensor_count,
                                " tensors, more than its size allows"));
    }
    file_.tensors_.reserve(tensor_count);
    for (uint64_t i = 0; i < tensor_count; ++i) {
      if (auto s = ReadTensorInfo(i); !s.ok()) return s;
    }
    return PlaceTensorData();
  }

 private:
  size_t Remaining() const { return size_ - position_; }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file_.path(), "' ", what));
  }

  absl::Status Truncated(absl::string_view what) const {
    return Error(absl::StrCat("is truncated: ", what, " at byte ", position_,
                              " runs past the end of the file (", size_, " bytes)"));
  }

  template <typename T>
  absl::Status ReadPod(T& out, absl::string_view what) {
    if (Remaining() < sizeof(T)) return Truncated(what);
    std::memcpy(&out, data_ + position_, sizeof(T));
    position_ += sizeof(T);
    return absl::OkStatus();
  }

  absl::Status ReadCount(uint64_t& out, absl::string_view what) {
    if (wide_counts_) return ReadPod(out, what);
    uint32_t narrow = 0;
    auto status = ReadPod(narrow, what);
    out = narrow;
    return status;
  }

  absl::Status ReadString(std::string& out, absl::string_view what) {
    uint64_t length = 0;
    if (auto s = ReadCount(length, what); !s.ok()) return s;
    if (length > Remaining()) {
      return Truncated(absl::StrCat(what, " (", length, " bytes long)"));
    }
    out.assign(reinterpret_cast<const char*>(data_ + position_), length);
    position_ += length;
    return absl::OkStatus();
  }

  absl::Status ReadValue(GgufValueType type, GgufValue& value, absl::string_view key, int depth) {
    value.type = type;
    const std::string what = absl::StrCat("the value of '", key, "'");
    switch (type) {
      case GgufValueType::kUint8:
        return ReadInteger<uint8_t>(value, what);
      case GgufValueType::kInt8:
        return ReadInteger<int8_t>(value, what);
      case GgufValueType::kUint16:
        return ReadInteger<uint16_t>(value, what);
      case GgufValueType::kInt16:
        return ReadInteger<int16_t>(value, what);
      case GgufValueType::kUint32:
        return ReadInteger<uint32_t>(value, what);
      case GgufValueType::kInt32:
        return ReadInteger<int32_t>(value, what);
      case GgufValueType::kUint64:
        return ReadInteger<uint64_t>(value, what);
      case GgufValueType::kInt64:
        return ReadInteger<int64_t>(value, what);
      case GgufValueType::kFloat32: {
        float f = 0;
        auto s = ReadPod(f, what);
        value.float_value = f;
        return s;
      }
      case GgufValueType::kFloat64:
        return ReadPod(value.float_value, what);
      case GgufValueType::kBool: {
        uint8_t b = 0;
        if (auto s = ReadPod(b, what); !s.ok()) return s;
        if (b > 1) return Error(absl::StrCat("has bool '", key, "' with the value ", b));
        value.bool_value = b == 1;
        return absl::OkStatus();
      }
      case GgufValueType::kString:
        return ReadString(value.string_value, what);
      case GgufValueType::kArray:
        return ReadArray(value, key, depth);
    }
    return Error(absl::StrCat("has metadata '", key, "' of unknown value type ",
                              static_cast<uint32_t>(type)));
  }

  template <typename T>
  absl::Status ReadInteger(GgufValue& value, absl::string_view what) {
    T raw{};
    if (auto s = ReadPod(raw, what); !s.ok()) return s;
    value.int_value = static_cast<int64_t>(raw);
    value.uint_value = static_cast<uint64_t>(raw);
    return absl::OkStatus();
  }

  absl::Status ReadArray(GgufValue& value, absl::string_view key, int depth) {
    if (depth >= 4) return Error(absl::StrCat("nests arrays too deeply in '", key, "'"));
    uint32_t element_type = 0;
    uint64_t count = 0;
    const std::string what = absl::StrCat("the array '", key, "'");
    if (auto s = ReadPod(element_type, what); !s.ok()) return s;
    if (auto s = ReadCount(count, what); !s.ok()) return s;
    if (element_type > static_cast<uint32_t>(GgufValueType::kFloat64)) {
      return Error(absl::StrCat("has array '", key, "' of unknown element type ", element_type));
    }
    if (count > Remaining()) {  // every element takes at least one byte
      return Truncated(absl::StrCat(what, " (", count, " elements)"));
    }
    value.array_type = static_cast<GgufValueType>(element_type);
    value.array.resize(count);
    for (auto& element : value.array) {
      if (auto s = ReadValue(value.array_type, element, key, depth + 1); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ReadMetadataEntry(uint64_t index) {
    std::string key;
    if (auto s = ReadString(key, absl::StrCat("the key of metadata entry ", index)); !s.ok()) {
      return s;
    }
    uint32_t type = 0;
    if (auto s = ReadPod(type, absl::StrCat("the type of '", key, "'")); !s.ok()) return s;
    GgufValue value;
    if (auto s = ReadValue(static_cast<GgufValueType>(type), value, key, 0); !s.ok()) return s;
    if (!file_.metadata_index_.emplace(key, file_.metadata_.size()).second) {
      return Error(absl::StrCat("has the metadata key '", key, "' twice"));
    }
    file_.metadata_.emplace_back(std::move(key), std::move(value));
    return absl::OkStatus();
  }

  absl::Status ReadAlignment() {
    const GgufValue* value = file_.Find("general.alignment");
    if (value == nullptr) return absl::OkStatus();
    if (!value->is_integer() || value->uint_value == 0 ||
        (value->uint_value & (value->uint_value - 1)) != 0 || value->uint_value > (1u << 20)) {
      return Error("has a general.alignment that is not a power of two up to 1 MiB");
    }
    file_.alignment_ = value->uint_value;
    return absl::OkStatus();
  }

  absl::Status ReadTensorInfo(uint64_t index) {
    GgufTensorInfo info;
    if (auto s = ReadString(info.name, absl::StrCat("the name of tensor ", index)); !s.ok()) {
      return s;
    }
    const std::string what = absl::StrCat("the description of tensor '", info.name, "'");
    uint32_t dim_count = 0;
    if (auto s = ReadPod(dim_count, what); !s.ok()) return s;
    if (dim_count < 1 || dim_count > 4) {
      return Error(absl::StrCat("has tensor '", info.name, "' with ", dim_count,
                                " dimensions; 1 to 4 are allowed"));
    }
    uint64_t elements = 1;
    for (uint32_t d = 0; d < dim_count; ++d) {
      uint64_t dim = 0;
      if (auto s = ReadCount(dim, what); !s.ok()) return s;
      // 2^40 elements is far beyond any file that fits in memory; the bound keeps the
      // products below from overflowing. Checked by division: elements * dim can wrap.
      constexpr uint64_t kMaxElements = uint64_t{1} << 40;
      if (dim == 0 || dim > kMaxElements / elements) {
        return Error(absl::StrCat("has tensor '", info.name, "' with an invalid dimension ", dim));
      }
      elements *= dim;
      info.dims.push_back(static_cast<int64_t>(dim));
    }
    uint32_t type = 0;
    if (auto s = ReadPod(type, what); !s.ok()) return s;
    if (auto s = CheckSupportedTensorType(type, info.name); !s.ok()) {
      return Error(absl::StrCat("has ", s.message()));
    }
    info.type = static_cast<TensorType>(type);
    if (info.dims[0] % BlockElements(info.type) != 0) {
      return Error(absl::StrCat("has tensor '", info.name, "' of type ", GgmlTypeName(type),
                                " whose row length ", info.dims[0], " is not a multiple of ",
                                BlockElements(info.type)));
    }
    if (auto s = ReadPod(info.offset, what); !s.ok()) return s;
    info.byte_size = RowBytes(info.type, info.dims[0]) * static_cast<size_t>(info.rows());
    if (!file_.tensor_index_.emplace(info.name, file_.tensors_.size()).second) {
      return Error(absl::StrCat("has the tensor '", info.name, "' twice"));
    }
    file_.tensors_.push_back(std::move(info));
    return absl::OkStatus();
  }

  absl::Status PlaceTensorData() {
    const uint64_t alignment = file_.alignment_;
    const uint64_t data_start = (position_ + alignment - 1) / alignment * alignment;
    if (file_.tensors_.empty()) return absl::OkStatus();
    if (data_start > size_) {
      return Error(absl::StrCat("is truncated: the tensor data should start at byte ", data_start,
                                " but the file has ", size_, " bytes"));
    }
    const uint64_t data_size = size_ - data_start;
    for (auto& info : file_.tensors_) {
      if (info.offset % alignment != 0) {
        return Error(absl::StrCat("has tensor '", info.name, "' at offset ", info.offset,
                                  ", which is not a multiple of the alignment ", alignment));
      }
      if (info.offset > data_size || info.byte_size > data_size - info.offset) {
        return Error(absl::StrCat("is truncated or corrupt: tensor '", info.name, "' (",
                                  info.byte_size, " bytes at data offset ", info.offset,
                                  ") runs past the end of the file's ", data_size,
                                  " bytes of tensor data"));
      }
      info.data = data_ + data_start + info.offset;
    }
    return absl::OkStatus();
  }

  GgufFile& file_;
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
  bool wide_counts_ = true;
};

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status();
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->file_ = std::move(*mapped);
  GgufParser parser(*file);
  if (auto status = parser.Parse(); !status.ok()) return status;
  return file;
}

const GgufValue* GgufFile::Find(absl::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::FindTensor(absl::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

absl::Status Missing(const GgufFile& file, absl::string_view key) {
  return absl::InvalidArgumentError(
      absl::StrCat("GGUF file '", file.path(), "' has no metadata key '", key, "'"));
}

absl::Status WrongType(const GgufFile& file, absl::string_view key, const GgufValue& value,
                       absl::string_view wanted) {
  return absl::InvalidArgumentError(absl::StrCat("GGUF file '", file.path(), "' has '", key,
                                                 "' of type ", GgufValueTypeName(value.type),
                                                 ", expected ", wanted));
}

}  // namespace

absl::StatusOr<std::string> GgufFile::GetString(absl::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return Missing(*this, key);
  if (value->type != GgufValueType::kString) return WrongType(*this, key, *value, "string");
  return value->string_value;
}

absl::StatusOr<int64_t> GgufFile::GetInt(absl::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return Missing(*this, key);
  if (!value->is_integer()) return WrongType(*this, key, *value, "an integer");
  if (value->type == GgufValueType::kUint64 &&
      value->uint_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("GGUF file '", path(), "' has '", key,
                                                   "' = ", value->uint_value, ", out of range"));
  }
  return value->int_value;
}

absl::StatusOr<double> GgufFile::GetFloat(absl::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return Missing(*this, key);
  if (value->is_float()) return value->float_value;
  if (value->is_integer()) return static_cast<double>(value->int_value);
  return WrongType(*this, key, *value, "a number");
}

absl::StatusOr<bool> GgufFile::GetBool(absl::string_view key) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) return Missing(*this, key);
  if (value->type != GgufValueType::kBool) return WrongType(*this, key, *value, "bool");
  return value->bool_value;
}

absl::StatusOr<int64_t> GgufFile::GetInt(absl::string_view key, int64_t fallback) const {
  return Find(key) == nullptr ? fallback : GetInt(key);
}

absl::StatusOr<double> GgufFile::GetFloat(absl::string_view key, double fallback) const {
  return Find(key) == nullptr ? fallback : GetFloat(key);
}

absl::StatusOr<bool> GgufFile::GetBool(absl::string_view key, bool fallback) const {
  return Find(key) == nullptr ? absl::StatusOr<bool>(fallback) : GetBool(key);
}

}  // namespace cascade::engine
