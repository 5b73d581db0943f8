#pragma once

// The near-miss guard of the semantic answer cache (issue 23). A semantic cache answers a
// new query with the answer stored for a cached query whose embedding is close enough. Close
// embeddings are not the same question: "what's the weather in Paris" and "... in London"
// differ in one token, which a bag-of-n-grams embedding barely notices, and the cached answer
// would be wrong. The guard looks at the two texts (the last user message of each) and
// refuses the hit when they differ in something that usually changes the answer. It only
// ever refuses: it never makes a hit out of a miss.
//
// Five checks, each switchable; the first that fires names the refusal:
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
//             passes this check (the swaps check refuses it). The check also
//             compares, as sets, the month and weekday names and relative days (today,
//             tomorrow, tonight, ...), and the units and currencies (km, miles, kg, usd, $, €,
//             celsius, ...; synonyms are one unit: $ = dollars = usd). Units that are also
//             ordinary words (minutes, hours, days, am/pm, cups, calories, ...) count only
//             right after a number ("5 minutes" vs "5 hours"): "what day is it" and "how many
//             calories" name no quantity.
//   swaps     One thing swapped for another in the same question: each query has a content
//             word the other lacks, and they share one, or all their function words
//             ("weather in paris" vs "weather in london", "calories in an apple" vs "... a
//             banana", "book a flight to Rome" vs "cancel a flight to Rome", "what is your
//             name" vs "what is your job"). Content words are the words that do not only
//             frame a question (function_words.h), plural and singular alike, units and
//             dates under one name each. Catches what the entities check cannot see
//             (lowercase names, common nouns, verbs). Refuses some true paraphrases too
//             ("weather" vs "forecast" beside a shared "tomorrow"): a lost hit, never a
//             wrong one. Queries that share neither ("what's your name" vs "what should I
//             call you") pass: only the embedding can judge those. A swap of
//             relation words (function_words.h) counts too, beside a shared content word:
//             "before" vs "after" ("what happened before the war" vs "... after the war"),
//             or a shared word under another one ("from boston to denver" vs "from denver
//             to boston"; "to denver from boston" passes). So does a swap of whom the
//             pronouns name ("what's my name" vs "what's your name") or of the tense of the
//             auxiliaries ("what was the weather" vs "what's the weather"), or of what
//             the question words ask for ("where is the museum" vs "when is the museum");
//             these also in queries of function words only ("who are you" vs "how are
//             you").
//   additions A content word in one query only, beside the ones they share: a qualifier that
//             narrows the question ("hotels in chicago" vs "cheap hotels in chicago", "cook
//             rice" vs "cook brown rice"). Also refuses paraphrases that add a word ("the
//             current time in Paris" vs "the time in Paris"), so it costs hits: switch it off
//             (and let the threshold judge) for traffic without such qualifiers.
//
// Deterministic and cheap (no model): one tokenisation per query; English word lists only.

#include <string>

#include "absl/strings/string_view.h"

namespace cascade::cache {

struct NearMissGuardOptions {
  bool check_numbers = true;
  bool check_negation = true;
  bool check_entities = true;
  bool check_swaps = true;
  bool check_additions = true;

  // Every check off: the guard refuses nothing.
  static NearMissGuardOptions AllOff() { return {false, false, false, false, false}; }
};

enum class NearMissCheck { kNone, kNumbers, kNegation, kEntities, kSwaps, kAdditions };

// "none", "numbers", "negation", "entities", "swaps" or "additions".
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
