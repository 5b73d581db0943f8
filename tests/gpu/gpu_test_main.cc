// main() of the GPU test: says plainly when there is no GPU (every test then skips) and where
// the models are expected.
#include <cstdio>
#include <cstdlib>

#include "gtest/gtest.h"
#include "services/inference/engine/cuda/cuda_backend.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // The CPU reference keeps activations in floats, as the CUDA kernels do (the AVX-512 VNNI set
  // rounds Q8_0's to 8 bits: kernels_vnni.cc). Before any model loads.
  setenv("CASCADE_KERNELS", "avx512", /*overwrite=*/0);
  const absl::Status gpu = cascade::engine::cuda::CudaDeviceAvailable();
  if (gpu.ok()) {
    std::printf("GPU: %s\n", cascade::engine::cuda::CudaDeviceDescription().c_str());
  } else {
    std::printf("NO GPU: every GPU test skips (%s)\n", std::string(gpu.message()).c_str());
  }
  std::fflush(stdout);
  return RUN_ALL_TESTS();
}
