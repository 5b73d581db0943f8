// Runs a command to completion for the conformance tests, keeping its stdout and stderr.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::conformance {

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (searched on PATH) with stdin from /dev/null and stdout and stderr in
// `work_dir`/`name`.stdout and .stderr. FailedPrecondition when it cannot be started.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& work_dir, const std::string& name);

}  // namespace cascade::conformance
