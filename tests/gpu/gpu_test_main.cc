// main() of the GPU test: says plainly when there is no GPU (every test then skips) and where
// the models are expected.
#include <cstdio>

#include "gtest/gtest.h"
#include "services/inference/engine/cuda/cuda_backend.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const absl::Status gpu = cascade::engine::cuda::CudaDeviceAvailable();
  if (gpu.ok()) {
    std::printf("GPU: %s\n", cascade::engine::cuda::CudaDeviceDescription().c_str());
  } else {
    std::printf("NO GPU: every GPU test skips (%s)\n", std::string(gpu.message()).c_str());
  }
  std::fflush(stdout);
  return RUN_ALL_TESTS();
}
