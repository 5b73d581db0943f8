#pragma once

// Outcome records (the outcomes format) as the router's outcome exemplars: the last user
// message as the query, a SHA-256 of every message as the key, each model's quality as its
// tier's label (`cascadectl routes learn`).

#include <map>
#include <string>
#include <vector>

#include "cascade/v1/router.pb.h"
#include "common/outcomes/outcomes.h"

namespace cascade::cli {

struct LearnedExemplars {
  std::vector<cascade::v1::OutcomeExemplar> exemplars;
  size_t unlabelled = 0;  // Records with no graded answer of a tier we keep.
  std::map<std::string, size_t> labels_per_tier;
};

// One record as an exemplar: the query (empty when no user message) and the key, and the
// labels of the graded answers of the tiers kept (maybe none). Not validated.
cascade::v1::OutcomeExemplar ExemplarFromOutcome(
    const outcomes::OutcomeRecord& record, const std::map<std::string, std::string>& tier_of_model);

// `tier_of_model`: model -> tier name; empty = every model keeps its name as the tier. With
// a mapping, models it does not name are left out.
LearnedExemplars ExemplarsFromOutcomes(const std::vector<outcomes::OutcomeRecord>& records,
                                       const std::map<std::string, std::string>& tier_of_model);

}  // namespace cascade::cli
