#pragma once

// cascadectl policy fit and eval: a cascade policy fitted on recorded queries to a quality
// target with a guarantee (tools/policy/policy_fitter.h), and what a policy would have done
// on recorded queries (tools/policy/policy_evaluation.h).

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kPolicyUsage[] =
    R"(usage: cascadectl policy fit --outcomes TRAIN.jsonl --prices PRICES.yaml
                             --max-quality-drop D [--confidence 0.9] [--tiers M1,M2,...,TOP]
                             [--guarantee high-probability|expected]
                             [--name NAME] [--tier-name MODEL=TIER ...] [--seed N]
                             [--cross-fit-router-estimates [--estimate-folds 5]]
                             --out POLICY.yaml [--report REPORT.md]
                             [--plot FRONTIER.svg] [--json]
       cascadectl policy eval --outcomes FILE.jsonl --prices PRICES.yaml
                              --policy POLICIES.yaml [--name NAME] [--tier-name MODEL=TIER ...]
                              [--exemplars TRAIN.jsonl] [--json]

fit: the cheapest cascade policy whose mean quality drop against the top model alone is at
most D with the stated confidence on queries drawn like the training ones (docs/policy.md):
ladders ending at the top model (the last of --tiers, default every model of the file in
its order), one signal per ladder (logprob mean or min, the self-check, the router's
estimate, or a logistic combination of those a model records: `calibrated` rules), a
threshold on the calibrated probability that an answer is right. The router's estimate
(`router_estimate` in the outcomes) is written as a `calibrated` rule on its log-odds.
--cross-fit-router-estimates computes it instead of reading it, for files that do not record
it: each selection query's from the router's estimator built on the other selection queries
(--estimate-folds N folds, 2 to 20, default 5), each certification query's from the
selection queries alone; they replace recorded ones. Half the queries select the
candidates, the other half certify them, one after the other from the dearest; the cheapest
certified one is written to POLICY.yaml as a policies file (the orchestrator's
`policies_file`), or the top model alone when none is. Prints every candidate tested;
--report writes the same as Markdown, --plot every candidate's cost and drop as an SVG chart.
--tier-name MODEL=TIER names the policy's tier serving MODEL (default: the model's name).
--guarantee expected makes a weaker promise, for few queries: the mean drop is at most D in
expectation over the draw of the training queries (conformal risk control along the
thresholds of the one ladder and signal the selection half finds cheapest), not with the
stated confidence; it chooses cheaper policies from a few hundred queries.

Runs every record of an outcomes file through the orchestrator's own cascade, in-process,
with tiers that answer as the recorded models did (docs/outcomes.md), under a policy of
POLICIES.yaml (a policies file: `policies:` and `default_policy`; --name picks one, else the
default). Prints the policy's quality
(mean `quality`, else `correct`, of the final answers) next to the top model's alone on the
same queries, the drop between them, what the policy cost against the top model answering
every query alone, and the share of queries answered at each tier.

A policy whose rules weigh the router's estimate (`router_estimate`) or that starts where
the router's estimates say (`start.mode: learned`) reads the estimates the records carry,
or with --exemplars TRAIN.jsonl asks a router that learned TRAIN.jsonl's outcomes (as
`cascadectl routes learn` teaches it, models as tiers): evaluate on other queries than
TRAIN's, or the estimate has seen the answers it grades.

A policy's tiers are the outcomes' model names unless --tier-name MODEL=TIER says which
tier serves a model. Prices: lines of `MODEL: {input_usd_per_mtok: X, output_usd_per_mtok: Y}`.
)";

int RunPolicy(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
