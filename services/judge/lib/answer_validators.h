#pragma once

// Cheap checks that catch answers no confidence score should accept: the `validators`
// judge method, also run in-process by the orchestrator.
//
// Checks (names as they appear in ValidationResult::failed_checks):
//   "empty"        nothing but whitespace
//   "refusal"      the answer opens with a refusal phrase ("I'm sorry, but I can't", ...)
//   "truncated"    the generation ended at max_tokens (finish reason LENGTH)
//   "repetition"   the answer ends in a loop: a span repeated back to back
//   "invalid_json" the request asked for JSON (json_object / json_schema) and the answer
//                  is not one JSON object (for json_schema: also its top-level "type" and
//                  "required" keys; the rest of the schema is not checked)
// Every check is a hard failure: the score is 0 when any fails, 1 when all pass.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cascade/v1/common.pb.h"

namespace cascade::judge {

struct ValidatorOptions {
  // Lower-case phrases; an answer whose first `refusal_window` bytes (lower-cased)
  // contain one is a refusal. Empty = DefaultRefusalPatterns().
  std::vector<std::string> refusal_patterns;
  int refusal_window = 160;
  // A loop is a period of 1..max_period bytes repeated at least min_repeats times back
  // to back at the end of the answer, covering at least min_loop_bytes (64 by default, so
  // a markdown rule or a closing "}}}}" is not a loop). Only the last 8 KiB are examined.
  int max_period = 256;
  int min_repeats = 4;
  int min_loop_bytes = 64;
};

const std::vector<std::string>& DefaultRefusalPatterns();

struct ValidationResult {
  // 0 when any check failed, else 1.
  double score = 1;
  // Names of the failed checks, in the order above.
  std::vector<std::string> failed_checks;
  // One line per failed check saying what was found; empty when all passed.
  std::string rationale;

  bool ok() const { return failed_checks.empty(); }
};

ValidationResult ValidateAnswer(absl::string_view answer, v1::FinishReason finish_reason,
                                const v1::ResponseFormat& response_format,
                                const ValidatorOptions& options = {});

// Exposed for tests: the length in bytes of the repeated loop at the end of `text`
// (0 when there is none).
size_t TrailingLoopBytes(absl::string_view text, const ValidatorOptions& options);

}  // namespace cascade::judge
