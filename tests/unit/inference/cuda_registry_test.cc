// The inference service's model loading with `device:`: cpu loads, an unknown name and cuda
// where it cannot run stop the server at start (FAILED_PRECONDITION, exit 78) saying why.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/device.h"
#include "services/inference/model_registry.h"

#if CASCADE_HAVE_CUDA
#include "services/inference/engine/cuda/cuda_backend.h"
#endif

namespace cascade::inference {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::unique_ptr<ModelRegistry>> LoadWithDevice(const std::string& device) {
  cascade::v1::InferenceConfig config;
  auto* model = config.add_models();
  model->set_name("bard-draft");
  model->set_path(std::string(CASCADE_SOURCE_DIR) + "/models/bard-draft-0.5m.gguf");
  model->set_device(device);
  return ModelRegistry::Load(config, nullptr);
}

TEST(RegistryDevice, CpuAndEmptyLoad) {
  EXPECT_TRUE(LoadWithDevice("").ok());
  EXPECT_TRUE(LoadWithDevice("cpu").ok());
}

TEST(RegistryDevice, UnknownDeviceNamesTheChoices) {
  const auto registry = LoadWithDevice("tpu");
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(registry.status().message(), HasSubstr("models[0] 'bard-draft'"));
  EXPECT_THAT(registry.status().message(), HasSubstr("unknown device 'tpu'"));
}

// The bundled bard files are F32; even with a GPU, cuda refuses them naming the conversion.
TEST(RegistryDevice, CudaThatCannotRunStopsTheServerSayingWhy) {
  const auto registry = LoadWithDevice("cuda");
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(registry.status().message(), HasSubstr("models[0] 'bard-draft': device \"cuda\""));
#if CASCADE_HAVE_CUDA
  if (engine::cuda::CudaDeviceAvailable().ok()) {
    EXPECT_THAT(registry.status().message(), HasSubstr("cascade-quantize"));
  }
#endif
}

}  // namespace
}  // namespace cascade::inference
