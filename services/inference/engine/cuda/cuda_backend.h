// The CUDA backend's entry points for the rest of the engine (device.cc) and for tools.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/inference/engine/forward_pass.h"
#include "services/inference/engine/model.h"

namespace cascade::engine::cuda {

// OK when a CUDA device is usable; FailedPrecondition with the runtime's reason otherwise
// (no driver, no device).
absl::Status CudaDeviceAvailable();

// CudaDeviceAvailable, then the model's weights (CheckDeviceWeights).
absl::Status CheckCudaModel(const Model& model);

// "NVIDIA H100 80GB HBM3, sm_90, 132 SMs, 79.1 GiB", or why there is none.
std::string CudaDeviceDescription();

// Uploads the model's weights and opens a session over them.
absl::StatusOr<std::unique_ptr<ForwardPass>> CreateCudaForwardPass(
    std::shared_ptr<const Model> model, int context_length);

}  // namespace cascade::engine::cuda
