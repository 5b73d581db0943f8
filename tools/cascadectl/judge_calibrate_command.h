#pragma once

// `cascadectl judge calibrate`: fits the judge's calibration maps (raw method value ->
// P(correct)) on labeled records and reports, on a held-out split, what they change.

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kJudgeCalibrateUsage[] =
    R"(usage: cascadectl judge calibrate FILE.jsonl [--train-fraction 0.7] [--seed N] [--json]

FILE.jsonl holds one labeled answer per line:
  {"query": "...", "answer": "...", "logprobs": [-0.1, -2.3, ...], "label": 1,
   "finish_reason": "stop" | "length" (optional), "llm_score": 0.8 (optional)}
label 1 = the answer was good enough, 0 = it was not.

Shuffles the records (--seed, default 1), fits on the first --train-fraction of them a
logistic map per method (each logprob aggregate: mean, min, p10, p25, p50, mean_len; the
validators; the llm where records carry llm_score) and reports on the rest: AUC (a
monotone map cannot change it), Brier score and expected calibration error (10 bins)
before and after. Prints the fitted maps as a YAML snippet for the judge's config, with
the logprob aggregate of the best held-out AUC.
)";

// Returns the process exit code: 0, 1 (a failure, reported on `err`) or 2 (usage).
int RunJudgeCalibrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
