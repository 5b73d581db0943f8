#include "services/inference/engine/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace cascade::engine {

GgufValue GgufString(std::string value) {
  GgufValue v;
  v.type = GgufValueType::kString;
  v.string_value = std::move(value);
  return v;
}

GgufValue GgufUint32(uint32_t value) {
  GgufValue v;
  v.type = GgufValueType::kUint32;
  v.int_value = value;
  v.uint_value = value;
  return v;
}

GgufValue GgufInt32(int32_t value) {
  GgufValue v;
  v.type = GgufValueType::kInt32;
  v.int_value = value;
  v.uint_value = static_cast<uint64_t>(static_cast<int64_t>(value));
  return v;
}

GgufValue GgufFloat32(float value) {
  GgufValue v;
  v.type = GgufValueType::kFloat32;
  v.float_value = value;
  return v;
}

GgufValue GgufBool(bool value) {
  GgufValue v;
  v.type = GgufValueType::kBool;
  v.bool_value = value;
  return v;
}

namespace {

template <typename T, typename Make>
GgufValue MakeArray(GgufValueType element_type, const std::vector<T>& values, Make make) {
  GgufValue v;
  v.type = GgufValueType::kArray;
  v.array_type = element_type;
  v.array.reserve(values.size());
  for (const T& value : values) v.array.push_back(make(value));
  return v;
}

}  // namespace

GgufValue GgufStringArray(const std::vector<std::string>& values) {
  return MakeArray(GgufValueType::kString, values, GgufString);
}

GgufValue GgufFloat32Array(const std::vector<float>& values) {
  return MakeArray(GgufValueType::kFloat32, values, GgufFloat32);
}

GgufValue GgufInt32Array(const std::vector<int32_t>& values) {
  return MakeArray(GgufValueType::kInt32, values, GgufInt32);
}

void GgufWriter::SetMetadata(const std::string& key, GgufValue value) {
  for (auto& [existing_key, existing_value] : metadata_) {
    if (existing_key == key) {
      existing_value = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::SetAlignment(uint32_t alignment) {
  alignment_ = alignment;
  SetMetadata("general.alignment", GgufUint32(alignment));
}

absl::Status GgufWriter::AddTensor(std::string name, std::vector<int64_t> dims, TensorType type,
                                   std::vector<uint8_t> data) {
  int64_t rows = 1;
  for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
  const size_t expected = dims.empty() ? 0 : RowBytes(type, dims[0]) * static_cast<size_t>(rows);
  if (dims.empty() || data.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' has ", data.size(),
                                                   " bytes of data, expected ", expected));
  }
  tensors_.push_back(Tensor{std::move(name), std::move(dims), type, std::move(data)});
  return absl::OkStatus();
}

namespace {

using Sink = absl::FunctionRef<void(const void*, size_t)>;

template <typename T>
void Put(Sink sink, T value) {
  sink(&value, sizeof(value));
}

void PutString(Sink sink, const std::string& s) {
  Put<uint64_t>(sink, s.size());
  sink(s.data(), s.size());
}

void PutValue(Sink sink, const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::kUint8:
      return Put(sink, static_cast<uint8_t>(v.uint_value));
    case GgufValueType::kInt8:
      return Put(sink, static_cast<int8_t>(v.int_value));
    case GgufValueType::kUint16:
      return Put(sink, static_cast<uint16_t>(v.uint_value));
    case GgufValueType::kInt16:
      return Put(sink, static_cast<int16_t>(v.int_value));
    case GgufValueType::kUint32:
      return Put(sink, static_cast<uint32_t>(v.uint_value));
    case GgufValueType::kInt32:
      return Put(sink, static_cast<int32_t>(v.int_value));
    case GgufValueType::kUint64:
      return Put(sink, v.uint_value);
    case GgufValueType::kInt64:
      return Put(sink, v.int_value);
    case GgufValueType::kFloat32:
      return Put(sink, static_cast<float>(v.float_value));
    case GgufValueType::kFloat64:
      return Put(sink, v.float_value);
    case GgufValueType::kBool:
      return Put<uint8_t>(sink, v.bool_value ? 1 : 0);
    case GgufValueType::kString:
      return PutString(sink, v.string_value);
    case GgufValueType::kArray:
      Put(sink, static_cast<uint32_t>(v.array_type));
      Put<uint64_t>(sink, v.array.size());
      for (const GgufValue& element : v.array) PutValue(sink, element);
      return;
  }
}

}  // namespace

void GgufWriter::Emit(Sink sink) const {
  uint64_t written = 0;
  auto counting_sink = [&](const void* data, size_t size) {
    sink(data, size);
    written += size;
  };
  Sink out(counting_sink);
  Put(out, kGgufMagic);
  Put<uint32_t>(out, 3);
  Put<uint64_t>(out, tensors_.size());
  Put<uint64_t>(out, metadata_.size());
  for (const auto& [key, value] : metadata_) {
    PutString(out, key);
    Put(out, static_cast<uint32_t>(value.type));
    PutValue(out, value);
  }
  auto padded = [&](uint64_t n) { return (n + alignment_ - 1) / alignment_ * alignment_; };
  uint64_t offset = 0;
  for (const Tensor& tensor : tensors_) {
    PutString(out, tensor.name);
    Put<uint32_t>(out, static_cast<uint32_t>(tensor.dims.size()));
    for (int64_t dim : tensor.dims) Put<uint64_t>(out, static_cast<uint64_t>(dim));
    Put(out, static_cast<uint32_t>(tensor.type));
    Put<uint64_t>(out, offset);
    offset = padded(offset + tensor.data.size());
  }
  static const std::vector<uint8_t> kZeros(1u << 16, 0);
  auto pad_to = [&](uint64_t target) {
    while (written < target)
      out(kZeros.data(), std::min<uint64_t>(target - written, kZeros.size()));
  };
  pad_to(padded(written));
  const uint64_t data_start = written;
  for (const Tensor& tensor : tensors_) {
    pad_to(data_start + padded(written - data_start));
    out(tensor.data.data(), tensor.data.size());
  }
}

absl::Status GgufWriter::WriteFile(const std::string& path) const {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot create '", path, "'"));
  bool failed = false;
  Emit([&](const void* data, size_t size) {
    if (!failed && std::fwrite(data, 1, size, file.get()) != size) failed = true;
  });
  if (std::fflush(file.get()) != 0) failed = true;
  if (failed) return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

std::string GgufWriter::Serialize() const {
  std::string bytes;
  Emit([&](const void* data, size_t size) { bytes.append(static_cast<const char*>(data), size); });
  return bytes;
}

}  // namespace cascade::engine
