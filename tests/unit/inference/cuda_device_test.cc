// Choosing a device: names, and what `cuda` answers where it cannot run. CI has no GPU, so the
// failure paths run there; the GPU paths are tests/gpu (a separate, self-contained binary).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/inference/engine/device.h"
#include "services/inference/engine/engine.h"
#include "tests/unit/inference/test_models.h"

#if CASCADE_HAVE_CUDA
#include "services/inference/engine/cuda/cuda_backend.h"
#include "services/inference/engine/cuda/device_weights.h"
#endif

namespace cascade::engine {
namespace {

using ::testing::HasSubstr;

bool GpuPresent() {
#if CASCADE_HAVE_CUDA
  return cuda::CudaDeviceAvailable().ok();
#else
  return false;
#endif
}

TEST(Device, ParsesNamesAndRefusesOthers) {
  EXPECT_EQ(*ParseDevice(""), Device::kCpu);
  EXPECT_EQ(*ParseDevice("cpu"), Device::kCpu);
  EXPECT_EQ(*ParseDevice("cuda"), Device::kCuda);
  const auto bad = ParseDevice("gpu");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"cpu\" and \"cuda\""));
  EXPECT_EQ(DeviceName(Device::kCuda), "cuda");
}

TEST(Device, CpuAlwaysWorks) {
  EXPECT_TRUE(CheckDevice(Device::kCpu, *testing::Target()).ok());
  auto engine = Engine::Create(testing::Target(), {.device = Device::kCpu});
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->context_length(), testing::Target()->config().context_length);
}

TEST(Device, CudaWithoutAGpuIsAFailedPreconditionSayingWhy) {
  if (GpuPresent()) GTEST_SKIP() << "a GPU is present here; tests/gpu covers this machine";
  const absl::Status status = CheckDevice(Device::kCuda, *testing::Target());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  if (CudaBuilt()) {
    EXPECT_THAT(status.message(), HasSubstr("no usable CUDA device")) << status;
  } else {
    EXPECT_THAT(status.message(), HasSubstr("no CUDA backend")) << status;
  }
  EXPECT_THAT(status.message(), HasSubstr("use \"cpu\""));

  // An engine built by value reports the same error from Generate, and never runs.
  Engine engine(testing::Target(), {.device = Device::kCuda});
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine.context_length(), 0);
  GenerateOptions request;
  request.prompt = {1, 826, 983};
  request.max_tokens = 2;
  EXPECT_EQ(engine.Generate(request).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Engine::Create(testing::Target(), {.device = Device::kCuda}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

#if CASCADE_HAVE_CUDA
// The GPU has kernels for F16 and Q8_0; every other type goes up widened to F16, as the CPU
// dequantises it, and the model_loaded line says so and what it costs. No device needed.
TEST(Device, CudaTakesEveryTypeAndWidensWhatItHasNoKernelsFor) {
  EXPECT_TRUE(cuda::CheckDeviceWeights(*testing::Target()).ok());  // F32
  EXPECT_THAT(cuda::DescribeDeviceWeights(*testing::Target()), HasSubstr("F32 widened to F16"));
  for (TensorType type : {TensorType::kF16, TensorType::kQ8_0}) {
    testing::TempFile file("cuda_weights.gguf");
    const auto copy =
        testing::QuantizedCopy(testing::ModelPath("bard-draft-0.5m.gguf"), type, file);
    EXPECT_TRUE(cuda::CheckDeviceWeights(*copy).ok()) << GgmlTypeName(static_cast<uint32_t>(type));
    EXPECT_EQ(cuda::DescribeDeviceWeights(*copy), "as stored (F16, Q8_0)");
  }
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ4_K}) {
    testing::TempFile file("cuda_weights_widened.gguf");
    const auto copy = testing::QuantizedCopy(testing::ModelPath("bard-target-3m.gguf"), type, file);
    EXPECT_TRUE(cuda::CheckDeviceWeights(*copy).ok()) << GgmlTypeName(static_cast<uint32_t>(type));
    const std::string described = cuda::DescribeDeviceWeights(*copy);
    EXPECT_THAT(described, HasSubstr(GgmlTypeName(static_cast<uint32_t>(type))));
    EXPECT_THAT(described, HasSubstr("widened to F16 at load"));
    // Each matrix reads back as the CPU's own dequantisation, to half precision.
    const Matrix& matrix = copy->layers()[0].up;
    ASSERT_NE(matrix.type, TensorType::kF16);
    ASSERT_NE(matrix.type, TensorType::kQ8_0);
    std::vector<uint16_t> halves(static_cast<size_t>(matrix.rows * matrix.cols));
    cuda::WidenToF16(matrix, halves.data());
    std::vector<float> row(static_cast<size_t>(matrix.cols));
    for (int64_t r = 0; r < matrix.rows; r += 7) {
      DequantizeRow(matrix.type, matrix.row(r), matrix.cols, row.data());
      for (int64_t col = 0; col < matrix.cols; ++col) {
        ASSERT_EQ(halves[r * matrix.cols + col], FloatToHalf(row[col])) << r << ", " << col;
      }
    }
  }
  EXPECT_THAT(cuda::CudaDeviceDescription(), ::testing::Not(::testing::IsEmpty()));
}
#endif

}  // namespace
}  // namespace cascade::engine
