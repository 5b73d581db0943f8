#include "services/inference/engine/cuda/cuda_backend.h"

#include <cuda_runtime.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/inference/engine/cuda/cuda_session.h"
#include "services/inference/engine/cuda/device_weights.h"

namespace cascade::engine::cuda {

absl::Status CudaDeviceAvailable() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();  // clear it: the runtime keeps the last error otherwise
    return absl::FailedPreconditionError(
        absl::StrCat("device \"cuda\": no usable CUDA device (", cudaGetErrorName(error), ": ",
                     cudaGetErrorString(error), "); use \"cpu\" on this machine"));
  }
  if (count == 0) {
    return absl::FailedPreconditionError(
        "device \"cuda\": the CUDA runtime sees no GPU; use \"cpu\" on this machine");
  }
  return absl::OkStatus();
}

absl::Status CheckCudaModel(const Model& model) {
  if (auto status = CudaDeviceAvailable(); !status.ok()) return status;
  return CheckDeviceWeights(model);
}

std::string CudaDeviceDescription() {
  if (auto status = CudaDeviceAvailable(); !status.ok()) return std::string(status.message());
  int device = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    return "a CUDA device whose properties cannot be read";
  }
  return absl::StrFormat("%s, sm_%d%d, %d SMs, %.1f GiB", prop.name, prop.major, prop.minor,
                         prop.multiProcessorCount,
                         static_cast<double>(prop.totalGlobalMem) / (1ull << 30));
}

absl::StatusOr<std::unique_ptr<ForwardPass>> CreateCudaForwardPass(
    std::shared_ptr<const Model> model, int context_length) {
  if (auto status = CheckCudaModel(*model); !status.ok()) return status;
  auto weights = DeviceWeights::Upload(*model);
  if (!weights.ok()) return weights.status();
  auto session = CudaSession::Create(std::move(*weights), context_length);
  if (!session.ok()) return session.status();
  return std::unique_ptr<ForwardPass>(std::move(*session));
}

}  // namespace cascade::engine::cuda
