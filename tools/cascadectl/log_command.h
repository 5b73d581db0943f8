#pragma once

// cascadectl log to-outcomes: the orchestrator's decision log (docs/outcomes.md, "The
// decision log") as an outcomes file, one record per finished request with the answers of
// every tier it attempted: how the cascade's own traffic becomes data to fit policies on.

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cascade::cli {

inline constexpr char kLogUsage[] =
    R"(usage: cascadectl log to-outcomes LOG.jsonl [LOG.jsonl.1 ...]

Converts decision log lines into outcomes records (docs/outcomes.md), written to stdout: the
request's messages, and per model it attempted, its answer, usage, token logprobs, recorded
self-check and latency. Correctness is not known from traffic: grade the records (add
`correct` or `quality`) before fitting a policy on them. Needs lines written with
`decision_log.include_prompt: true` (the messages and answers); failed requests and
attempts without an answer are skipped and counted on stderr. A line that is not a decision
log line stops it with the file and line.
)";

// One decision log line as an outcomes record; nullopt for a request that failed (nothing
// answered it). INVALID_ARGUMENT naming the field for a line that is not a decision log
// line or was written without include_prompt.
absl::StatusOr<std::optional<nlohmann::json>> DecisionToOutcome(const nlohmann::json& line);

int RunLog(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
