#pragma once

// The labelled query pairs cascade-cache-eval measures the semantic cache on.
//
// True paraphrases (the cached answer is right for the other query):
//  - "clinc": two different CLINC150 train utterances of one intent whose answer takes no
//    argument from the query: the assistant's persona and small talk (what is your name,
//    who made you, greeting, ...; kArgumentFreeIntents in pair_set.cc). Intents with slots
//    are left out even when the slot is often empty ("tell me a joke about zebras", "what
//    is tomorrow's date"), and so are utterances with a digit. The selection uses no word
//    list of the guard, so the guard's false refusals on them are measured, not avoided.
//  - "template": one slot value in two phrasings of the same template family ("what's the
//    weather in Paris" / "how's the weather in Paris").
// Near-misses (the cached answer is wrong for the other query): one phrasing of a family
// with two different slot values ("... in Paris" / "... in London"; "5 minutes" / "5
// hours"; "Costco" / "the post office"), hand-written negation pairs ("should I take an
// umbrella" / "should I not take an umbrella"), and hand-written qualifiers that narrow the
// question ("hotels in Chicago" / "cheap hotels in Chicago"), and hand-written directions,
// orders, persons or tenses turned around ("from Boston to Denver" / "from Denver to
// Boston", "what's my name" / "what's your name").
// Every pair with a capital is also included lowercased, as users type: the guard's
// entities check sees names by their capitals only.
//
// Each group (an intent, a family) gives at most `pairs_per_group` pairs, drawn with `seed`.

#include <cstdint>
#include <string>
#include <vector>

#include "services/router/lib/threshold_fitter.h"

namespace cascade::cache_eval {

struct QueryPair {
  std::string first, second;
  std::string group;  // The intent or template family.
  bool lowercased = false;
};

struct PairSet {
  std::vector<QueryPair> clinc_paraphrases;
  std::vector<QueryPair> template_paraphrases;
  std::vector<QueryPair> near_misses;
};

PairSet BuildPairSet(const std::vector<router::LabeledQuery>& clinc_train, size_t pairs_per_group,
                     uint64_t seed);

}  // namespace cascade::cache_eval
