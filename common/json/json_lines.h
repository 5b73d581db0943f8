#pragma once

// Reading a JSON Lines file (one JSON object per line), with errors that name the line.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cascade {

// Makes an error for the current line: InvalidArgument "path:N: <what>".
using JsonLineError = absl::FunctionRef<absl::Status(absl::string_view what)>;

// Calls `on_object` for each line of `path` that holds a JSON object, in order; blank lines
// are skipped. NotFound when the file cannot be read; InvalidArgument "path:N: not a JSON
// object" for a line that is not one; the first error `on_object` returns stops the reading.
absl::Status ForEachJsonLine(
    const std::string& path,
    absl::FunctionRef<absl::Status(const nlohmann::json& object, JsonLineError where)> on_object);

}  // namespace cascade
