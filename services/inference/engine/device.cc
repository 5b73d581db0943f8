#include "services/inference/engine/device.h"

#include "absl/strings/str_cat.h"
#include "services/inference/engine/session.h"

#if CASCADE_HAVE_CUDA
#include "services/inference/engine/cuda/cuda_backend.h"
#include "services/inference/engine/cuda/device_weights.h"
#endif

namespace cascade::engine {

absl::StatusOr<Device> ParseDevice(absl::string_view name) {
  if (name.empty() || name == "cpu") return Device::kCpu;
  if (name == "cuda") return Device::kCuda;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device '", name, "'; the devices are \"cpu\" and \"cuda\""));
}

absl::string_view DeviceName(Device device) { return device == Device::kCuda ? "cuda" : "cpu"; }

bool CudaBuilt() { return CASCADE_HAVE_CUDA != 0; }

absl::Status CheckDevice(Device device, const Model& model) {
  if (device == Device::kCpu) return absl::OkStatus();
#if CASCADE_HAVE_CUDA
  return cuda::CheckCudaModel(model);
#else
  (void)model;
  return absl::FailedPreconditionError(
      "device \"cuda\": this build has no CUDA backend (nvcc was not found when it was "
      "configured); use \"cpu\" or rebuild on a machine with the CUDA toolkit");
#endif
}

std::string DescribeWeightsOn(Device device, const Model& model) {
#if CASCADE_HAVE_CUDA
  if (device == Device::kCuda) return cuda::DescribeDeviceWeights(model);
#endif
  (void)device;
  (void)model;
  return "as stored";
}

absl::StatusOr<std::unique_ptr<ForwardPass>> CreateForwardPass(std::shared_ptr<const Model> model,
                                                               Device device, ThreadPool& pool,
                                                               int context_length) {
  if (device == Device::kCpu) {
    return std::make_unique<Session>(std::move(model), pool, context_length);
  }
  if (auto status = CheckDevice(device, *model); !status.ok()) return status;
#if CASCADE_HAVE_CUDA
  return cuda::CreateCudaForwardPass(std::move(model), context_length);
#else
  return absl::InternalError("unreachable: CheckDevice refuses cuda in this build");
#endif
}

}  // namespace cascade::engine
