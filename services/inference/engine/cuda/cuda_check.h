// CUDA runtime errors as absl::Status, for the host code of the CUDA backend.
#pragma once

#include <cuda_runtime.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cascade::engine::cuda {

// OK for cudaSuccess; ResourceExhausted when GPU memory ran out; Internal otherwise, naming
// the step that failed and the runtime's error.
inline absl::Status CudaStatus(cudaError_t error, absl::string_view what) {
  if (error == cudaSuccess) return absl::OkStatus();
  const std::string message = absl::StrCat("CUDA error in ", what, ": ", cudaGetErrorName(error),
                                           " (", cudaGetErrorString(error), ")");
  if (error == cudaErrorMemoryAllocation) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

}  // namespace cascade::engine::cuda

#define CASCADE_CUDA_RETURN_IF_ERROR(expr, what)                                              \
  do {                                                                                        \
    if (absl::Status cascade_cuda_status = ::cascade::engine::cuda::CudaStatus((expr), what); \
        !cascade_cuda_status.ok()) {                                                          \
      return cascade_cuda_status;                                                             \
    }                                                                                         \
  } while (false)
