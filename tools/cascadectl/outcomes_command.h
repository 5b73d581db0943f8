#pragma once

// cascadectl outcomes summary: what an outcomes file (docs/outcomes.md) holds, per model.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/outcomes/outcomes.h"
#include "common/outcomes/prices.h"

namespace cascade::cli {

inline constexpr char kOutcomesUsage[] =
    R"(usage: cascadectl outcomes summary FILE [--prices PRICES.yaml] [--json]

Reads an outcomes file (JSON Lines: a query's messages and each model's recorded answer,
correctness, usage and signals) strictly, and prints per model, in the file's order: how
many queries it answered, its accuracy (the mean of `quality`, else of `correct`, over the
answers that have one), the share of its answers with recorded logprobs and with a
self-check, its mean tokens per answer and, with --prices (lines of
`MODEL: {input_usd_per_mtok: X, output_usd_per_mtok: Y}`), what all its answers cost.
A bad line stops it with the file, line and field.
)";

struct ModelSummary {
  std::string model;
  int answered = 0;
  int graded = 0;  // Answers with `quality` or `correct`.
  double quality_sum = 0;
  int with_logprobs = 0;
  int with_self_check = 0;
  int64_t tokens = 0;
  std::optional<int64_t> cost_pusd;  // With a price for the model.
};

// Per model, in the order models first appear in the records.
std::vector<ModelSummary> SummarizeOutcomes(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>* prices);

int RunOutcomes(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cascade::cli
