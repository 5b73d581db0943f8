// Writes GGUF version 3 files: used by cascade-quantize, the random-model tool and by tests that
// need small (or deliberately broken) models.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "services/inference/engine/gguf.h"

namespace cascade::engine {

// Metadata value builders.
GgufValue GgufString(std::string value);
GgufValue GgufUint32(uint32_t value);
GgufValue GgufInt32(int32_t value);
GgufValue GgufFloat32(float value);
GgufValue GgufBool(bool value);
GgufValue GgufStringArray(const std::vector<std::string>& values);
GgufValue GgufFloat32Array(const std::vector<float>& values);
GgufValue GgufInt32Array(const std::vector<int32_t>& values);

class GgufWriter {
 public:
  // Adds or replaces a key; keys keep the order in which they were first added.
  void SetMetadata(const std::string& key, GgufValue value);
  void SetAlignment(uint32_t alignment);  // also written as general.alignment

  // `data` must hold exactly the bytes of `dims` elements of `type`.
  absl::Status AddTensor(std::string name, std::vector<int64_t> dims, TensorType type,
                         std::vector<uint8_t> data);

  absl::Status WriteFile(const std::string& path) const;
  std::string Serialize() const;  // the same bytes, in memory

 private:
  void Emit(absl::FunctionRef<void(const void*, size_t)> sink) const;

  struct Tensor {
    std::string name;
    std::vector<int64_t> dims;
    TensorType type;
    std::vector<uint8_t> data;
  };
  uint64_t alignment_ = kGgufDefaultAlignment;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace cascade::engine
