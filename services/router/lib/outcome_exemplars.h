#pragma once

// Past queries of one policy, each labelled with how well the policy's tiers answered it
// (quality in [0, 1]: 1 right, 0 wrong). Bounded: a query seen again (same key, the hash of
// its whole conversation) merges its labels into the old entry and becomes the newest; past
// the limit the oldest entries go. Plain data, not thread-safe: OutcomeStore guards it.

#include <cstddef>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace cascade::router {

struct OutcomeExemplar {
  // What is embedded: the conversation's last user message, as routes' utterances are.
  std::string query;
  // Deduplication key: a hash of every message (roles and contents), so that the same last
  // message after different conversations stays two exemplars.
  std::string key;
  // Tier name -> quality of its answer, in [0, 1]. Tiers not tried are absent.
  std::map<std::string, double> tier_quality;
};

// InvalidArgument naming the field: an empty query, key or label set, an empty tier name, a
// quality outside [0, 1].
absl::Status ValidateOutcomeExemplar(const OutcomeExemplar& exemplar);

struct OutcomeAddResult {
  size_t added = 0;    // New keys.
  size_t merged = 0;   // Keys already held: labels merged, the entry moved to newest.
  size_t evicted = 0;  // Oldest entries dropped for the limit.
};

class OutcomeExemplars {
 public:
  explicit OutcomeExemplars(size_t max_exemplars) : max_exemplars_(max_exemplars) {}

  // Validate first: Add assumes valid exemplars.
  OutcomeAddResult Add(std::vector<OutcomeExemplar> exemplars);

  // Oldest first.
  const std::list<OutcomeExemplar>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  size_t max_exemplars() const { return max_exemplars_; }

 private:
  size_t max_exemplars_;
  std::list<OutcomeExemplar> entries_;
  absl::flat_hash_map<std::string, std::list<OutcomeExemplar>::iterator> by_key_;
};

}  // namespace cascade::router
