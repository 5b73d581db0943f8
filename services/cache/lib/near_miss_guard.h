#pragma once

// The near-miss guard of the semantic answer cache (issue 23). A semantic cache answers a
// new query with the answer stored for a cached query whose embedding is close enough. Close
// embeddings are not the same question: "what's the weather in Paris" and "... in London"
// differ in one token, which a bag-of-n-grams embedding barely notices, and the cached answer
// would be wrong. The guard looks at the two texts (the last user message of each) and
// refuses the hit when they differ in something that usually changes the answer. It only
// ever refuses: it never makes a hit out of a miss.
//
// Three checks, each switchable; the first that fires names the refusal:
//   numbers   The multisets of numbers differ ("convert 5 km" vs "convert 50 km"). Digits
//             are compared in canonical form (1,000 = 1000, 3.50 = 3.5; query_tokens.h), and
//             the English number words zero..twenty, thirty..ninety, hundred, thousand,
//             million and billion count as their value ("two" = 2). "two hundred" counts as
//             {2, 100}, so it does not match "200": a refusal, never a wrong hit.
//   negation  The two queries have a different number of negations ("should I take an
//             umbrella" vs "should I not take an umbrella"): not, no, never, none, nothing,
//             nobody, nowhere, neither, nor, without, cannot, and every n't contraction
//             (don't, can't, isn't, also written without the apostrophe: dont, cant, isnt).
//   entities  A name in one query is missing from the other ("weather in Paris" vs "weather
//             in London"). Names are capitalised words not at the start of a sentence (not
//             the pronoun I), ALL-CAPS words of two or more letters, and words that mix letters
//             and digits (A380, mp3); each must appear, ignoring ASCII case, among the other
//             query's words. Names need capitals: "weather in paris" vs "weather in london"
//             passes this check (the embedding's threshold must catch it). The check also
//             compares, as sets, the month and weekday names and relative days (today,
//             tomorrow, tonight, ...), and the units and currencies (km, miles, kg, usd, $, €,
//             celsius, ...; synonyms are one unit: $ = dollars = usd). Units that are also
//             ordinary words (minutes, hours, days, am/pm, cups, calories, ...) count only
//             right after a number ("5 minutes" vs "5 hours"): "what day is it" and "how many
//             calories" name no quantity.
//
// Deterministic and cheap (no model): one tokenisation per query; English word lists only.

#include <string>

#include "absl/strings/string_view.h"

namespace cascade::cache {

struct NearMissGuardOptions {
  bool check_numbers = true;
  bool check_negation = true;
  bool check_entities = true;
};

enum class NearMissCheck { kNone, kNumbers, kNegation, kEntities };

// "none", "numbers", "negation" or "entities".
absl::string_view NearMissCheckName(NearMissCheck check);

struct NearMissVerdict {
  NearMissCheck refused_by = NearMissCheck::kNone;
  // For logs: what differed, e.g. "numbers {5} vs {50}" or "entity 'paris'".
  std::string reason;

  bool refused() const { return refused_by != NearMissCheck::kNone; }
};

class NearMissGuard {
 public:
  explicit NearMissGuard(NearMissGuardOptions options = {}) : options_(options) {}

  // Whether serving `cached_query`'s answer for `new_query` must be refused. Symmetric.
  NearMissVerdict Check(absl::string_view cached_query, absl::string_view new_query) const;

 private:
  NearMissGuardOptions options_;
};

}  // namespace cascade::cache
