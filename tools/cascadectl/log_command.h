#pragma once

// cascadectl log to-outcomes: the orchestrator's decision log (docs/outcomes.md, "The
// decision log") as an outcomes file, one record per finished request with the answers of
// every tier it attempted: how the cascade's own traffic becomes data to fit policies on.

#include <map>
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
attempts without an answer are skipped and counted on stderr. Shadow evaluation lines
(docs/learned-start.md) label their request's record: `correct` on the model they compared,
true when it agreed with the shadow tier. A line that is not a decision log line stops it
with the file and line.
)";

// One decision log line as an outcomes record; nullopt for a request that failed (nothing
// answered it). INVALID_ARGUMENT naming the field for a line that is not a decision log
// line or was written without include_prompt.
absl::StatusOr<std::optional<nlohmann::json>> DecisionToOutcome(const nlohmann::json& line);

// A shadow evaluation's line (kind "shadow") as a label: sets `correct` (whether the
// answer agreed with the shadow tier's) on the model it evaluated, in the record of its
// request. False when the line has no verdict or its request or model is not there.
bool ApplyShadowLabel(const nlohmann::json& shadow, std::vector<nlohmann::json>& records,
                      const std::map<std::string, size_t>& record_of);

int RunLog(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
