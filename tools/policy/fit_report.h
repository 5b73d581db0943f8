#pragma once

// What a policy fit found, for people: the summary `cascadectl policy fit` prints, the same
// as a Markdown report (--report), and the cost/quality frontier as an SVG chart (--plot).

#include <string>

#include "tools/policy/policy_fitter.h"

namespace cascade::policy {

// "tiny > mid > top".
std::string LadderName(const QueryTable& table, const Candidate& candidate);

// The split, every tested candidate's figures, each model's combination of signals (when
// there are combined candidates), and the choice with what it promises.
std::string FitSummary(const QueryTable& table, const FitResult& fit, const FitOptions& options);

// The summary as Markdown: the inputs, the method in one paragraph, the chosen policy file,
// the tested sequence as a table, the chosen policy's share per tier; `chart` is linked when
// not empty; each model's combination of signals, when there are combined candidates.
std::string FitReportMarkdown(const QueryTable& table, const FitResult& fit,
                              const FitOptions& options, const std::string& outcomes_path,
                              const std::string& policy_yaml, const std::string& chart);

// Every candidate's cost (x, share of the top model's) and drop (y) on the selection
// queries; the tested sequence joined by a line, certified ones filled, the chosen one
// marked, the target as a dashed line, the top model alone at (1, 0).
std::string FrontierSvg(const QueryTable& table, const FitResult& fit, const FitOptions& options);

}  // namespace cascade::policy
