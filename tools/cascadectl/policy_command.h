#pragma once

// cascadectl policy eval: what a cascade policy would have done on recorded queries
// (tools/policy/policy_evaluation.h): its quality and the top model's alone, its cost
// against the top model alone, and the share answered at each tier.

#include <ostream>
#include <string>
#include <vector>

namespace cascade::cli {

inline constexpr char kPolicyUsage[] =
    R"(usage: cascadectl policy eval --outcomes FILE.jsonl --prices PRICES.yaml
                              --policy POLICY.yaml [--tier-name MODEL=TIER ...] [--json]

Runs every record of an outcomes file through the orchestrator's own cascade, in-process,
with tiers that answer as the recorded models did (docs/outcomes.md), under the policy in
POLICY.yaml (one entry of the orchestrator's `policies:` list). Prints the policy's quality
(mean `quality`, else `correct`, of the final answers) next to the top model's alone on the
same queries, the drop between them, what the policy cost against the top model answering
every query alone, and the share of queries answered at each tier.

A policy's tiers are the outcomes' model names unless --tier-name MODEL=TIER says which
tier serves a model. Prices: lines of `MODEL: {input_usd_per_mtok: X, output_usd_per_mtok: Y}`.
)";

int RunPolicy(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
