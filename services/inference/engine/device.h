// Choosing where a model runs: the CPU Session, or the CUDA backend (cuda/) when this build has
// it and the machine has a GPU. Everything here works in a build without CUDA, answering
// FailedPrecondition for `cuda`.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/forward_pass.h"
#include "services/inference/engine/model.h"
#include "services/inference/engine/thread_pool.h"

namespace cascade::engine {

// "cpu" (or empty) and "cuda"; anything else is InvalidArgument naming the choices.
absl::StatusOr<Device> ParseDevice(absl::string_view name);
absl::string_view DeviceName(Device device);

// True when the CUDA backend was compiled in (nvcc was found at build time).
bool CudaBuilt();

// OK when `model` can run on `device` here. For kCuda: FailedPrecondition when the build has no
// CUDA backend, when no GPU is visible (with the CUDA runtime's reason), or when a weight row's
// length does not suit its kernels.
absl::Status CheckDevice(Device device, const Model& model);

// How `device` holds the model's weights, for the model_loaded log line: "as stored", or on a
// GPU which types it widens to F16 for want of kernels, and at what cost in memory.
std::string DescribeWeightsOn(Device device, const Model& model);

// A forward pass of `model` on `device`: a CPU Session over `pool`, or a CUDA session (its
// weights uploaded to GPU memory). `context_length` 0 means the model's own.
absl::StatusOr<std::unique_ptr<ForwardPass>> CreateForwardPass(std::shared_ptr<const Model> model,
                                                               Device device, ThreadPool& pool,
                                                               int context_length);

}  // namespace cascade::engine
