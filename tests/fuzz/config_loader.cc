// Fuzzes config loading (common/config): YAML -> JSON -> a service's config message with
// strict keys. The first byte picks the message. Whatever the bytes, the loader answers OK
// or FAILED_PRECONDITION with a message naming the source, in bounded time and memory.
#include "common/config/config_loader.h"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "cascade/v1/config.pb.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

template <typename ConfigT>
void Load(const std::string& yaml) {
  ConfigT config;
  const absl::Status status = cascade::ParseConfigYaml(yaml, "fuzz.yaml", &config);
  if (status.ok()) return;
  Check(status.code() == absl::StatusCode::kFailedPrecondition);
  Check(status.message().substr(0, 9) == "fuzz.yaml");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string yaml(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (static_cast<uint8_t>(data[0] - '0') % 5) {  // seeds start with '0' to '4'
    case 0:
      Load<cascade::v1::TierWorkerConfig>(yaml);
      break;
    case 1:
      Load<cascade::v1::RouterConfig>(yaml);
      break;
    case 2:
      Load<cascade::v1::JudgeConfig>(yaml);
      break;
    case 3:
      Load<cascade::v1::OrchestratorConfig>(yaml);
      break;
    default:
      Load<cascade::v1::InferenceConfig>(yaml);
  }
  return 0;
}
