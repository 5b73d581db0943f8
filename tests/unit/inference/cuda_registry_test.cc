// The inference service's model loading with `device:`: cpu loads, an unknown name and cuda
// where it cannot run stop the server at start (FAILED_PRECONDITION, exit 78) saying why, and
// a batch (max_sequences > 1) on cuda is refused.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/device.h"
#include "services/inference/model_registry.h"
#include "services/inference/model_worker.h"

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

// Without a build or a GPU for it, cuda stops the server saying which is missing; with a GPU the
// bundled F32 file loads, widened to F16.
TEST(RegistryDevice, CudaThatCannotRunStopsTheServerSayingWhy) {
  const auto registry = LoadWithDevice("cuda");
#if CASCADE_HAVE_CUDA
  if (engine::cuda::CudaDeviceAvailable().ok()) {
    EXPECT_TRUE(registry.ok()) << registry.status();
    return;
  }
#endif
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(registry.status().message(), HasSubstr("models[0] 'bard-draft': device \"cuda\""));
}

// Continuous batching runs on the CPU only: a batch on cuda is refused saying so.
TEST(RegistryDevice, ABatchOnCudaIsRefusedSayingWhy) {
  auto model =
      engine::Model::Load(std::string(CASCADE_SOURCE_DIR) + "/models/bard-draft-0.5m.gguf");
  ASSERT_TRUE(model.ok()) << model.status();
  ModelWorkerOptions options;
  options.device = engine::Device::kCuda;
  options.max_sequences = 2;
  const auto worker = ModelWorker::Create("bard-draft", *model, options);
  EXPECT_EQ(worker.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(worker.status().message(), HasSubstr("runs on the CPU only"));
}

}  // namespace
}  // namespace cascade::inference
