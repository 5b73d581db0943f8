// GPU memory owned by one object: plain cudaMalloc (never managed memory), freed on
// destruction. Move-only.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/cuda/cuda_check.h"

namespace cascade::engine::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // `what` names the buffer in the error (ResourceExhausted when the GPU is full).
  static absl::StatusOr<DeviceBuffer> Allocate(size_t bytes, absl::string_view what) {
    DeviceBuffer buffer;
    if (bytes == 0) return buffer;
    if (auto status = CudaStatus(cudaMalloc(&buffer.data_, bytes),
                                 absl::StrCat("allocating ", bytes, " bytes for ", what));
        !status.ok()) {
      buffer.data_ = nullptr;
      return status;
    }
    buffer.bytes_ = bytes;
    return buffer;
  }

  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      Free();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { Free(); }

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void Free() {
    if (data_ != nullptr) cudaFree(data_);  // nothing useful to do with an error here
    data_ = nullptr;
  }

  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace cascade::engine::cuda
